"""Formatted text: parse modes read as TDLib reads them, with its errors; trimming; lengths."""

from __future__ import annotations

import pytest

from faketelegram import ApiError
from faketelegram.entities import format_text, utf16_len


def test_html_gives_visible_text_and_entities():
    result = format_text('<b>Hi</b>, <i>you</i> &amp; <a href="https://x.org">me</a> &lt;3', "HTML")
    assert result.text == "Hi, you & me <3"
    assert result.entities == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 4, "length": 3},
        {"type": "text_link", "offset": 10, "length": 2, "url": "https://x.org"},
    ]


def test_entity_offsets_are_utf16_and_length_is_code_points():
    result = format_text("😀 <b>ok</b>", "HTML")
    assert result.text == "😀 ok"
    assert result.entities == [{"type": "bold", "offset": 3, "length": 2}]
    assert result.length == 4 and utf16_len(result.text) == 5


def test_pre_with_language():
    result = format_text('<pre><code class="language-python">x = 1</code></pre>', "html")
    assert result.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("x </b>", "Unexpected end tag at byte offset 2"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x>y', "Unclosed start tag at byte offset 0"),
    ],
)
def test_broken_html_is_refused_like_telegram(text, error):
    with pytest.raises(ApiError) as caught:
        format_text(text, "HTML")
    assert caught.value.code == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {error}"


def test_markdown_v2_requires_escaping_and_closing():
    assert format_text(r"Price: 10\.5 *each*", "MarkdownV2").text == "Price: 10.5 each"
    with pytest.raises(ApiError, match=r"Character '\.' is reserved and must be escaped"):
        format_text("Price: 10.5", "MarkdownV2")
    with pytest.raises(ApiError, match="Can't find end of Bold entity at byte offset 0"):
        format_text("*bold", "MarkdownV2")


def test_markdown_v2_entities():
    result = format_text("__u__ ||s|| `a.b` [link](https://x.org/\\)) ~x~", "MarkdownV2")
    assert result.text == "u s a.b link x"
    kinds = [(e["type"], e["offset"], e["length"]) for e in result.entities]
    assert kinds == [
        ("underline", 0, 1),
        ("spoiler", 2, 1),
        ("code", 4, 3),
        ("text_link", 8, 4),
        ("strikethrough", 13, 1),
    ]
    assert result.entities[3]["url"] == "https://x.org/)"


def test_legacy_markdown():
    result = format_text("*b* _i_ `c` [t](https://x.org)", "Markdown")
    assert result.text == "b i c t"
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 0"):
        format_text("*open", "Markdown")


def test_text_is_cleaned_and_trimmed_as_telegram_does():
    result = format_text("\n  <b>hi</b>\tthere\r\n  ", "HTML")
    assert result.text == "hi there"
    assert result.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert format_text("   ", None).text == ""


def test_unknown_parse_mode():
    with pytest.raises(ApiError, match="^400 Bad Request: unsupported parse_mode$"):
        format_text("x", "BBCode")
