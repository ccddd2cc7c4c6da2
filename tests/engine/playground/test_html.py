"""Texts as the page shows them: Telegram's HTML subset, everything else escaped."""

from __future__ import annotations

from engine.playground import to_html


def test_every_tag_telegram_renders_is_kept():
    text = ('<b>b</b> <i>i</i> <u>u</u> <s>s</s> <code>c</code> <pre>p</pre> '
            '<a href="https://example.com/?a=1&amp;b=2">a</a> <blockquote>q</blockquote> '
            '<tg-spoiler>x</tg-spoiler>')
    assert to_html(text, "HTML") == (
        '<b>b</b> <i>i</i> <u>u</u> <s>s</s> <code>c</code> <pre>p</pre> '
        '<a href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">a'
        '</a> <blockquote>q</blockquote> <span class="spoiler" title="spoiler: click to show">'
        'x</span>')


def test_nesting_entities_and_emoji_keep_their_places():
    # an emoji is two UTF-16 units: the entity offsets after it must still land right
    assert to_html("😀 <b>bold <i>both</i></b>!", "HTML") == "😀 <b>bold <i>both</i></b>!"


def test_what_is_not_markup_is_escaped():
    assert to_html("a &lt;script&gt; &amp; b", "HTML") == "a &lt;script&gt; &amp; b"
    assert to_html("<b>plain</b> & <i>", None) == "&lt;b&gt;plain&lt;/b&gt; &amp; &lt;i&gt;"
    assert to_html('say "hi"', None) == "say &quot;hi&quot;"


def test_a_link_to_anything_but_the_web_or_telegram_is_plain_text():
    assert to_html('<a href="javascript:alert(1)">x</a>', "HTML") == "x"
    assert to_html('<a href="tg://user?id=1">x</a>', "HTML").startswith('<a href="tg://user?id=1"')


def test_markup_telegram_refuses_is_shown_as_it_is():
    assert to_html("<b>open", "HTML") == "&lt;b&gt;open"
