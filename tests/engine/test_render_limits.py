"""Issue 14.6: every rendered message stays within Telegram's limits, whatever the data."""

from __future__ import annotations

import re

from engine import spec
from engine.render import BUTTONS_LIMIT, InlineButton, Renderer, _within_limit, fit


def _button() -> spec.Button:
    return spec.Button(spec.Text("a.go"), "go")


def test_each_rows_are_paged_so_the_whole_keyboard_fits_100_buttons():
    fixed = spec.Row([_button(), _button()])
    unbounded = spec.Each("items", row=[_button() for _ in range(4)])
    too_big = spec.Each("items", button=_button(), page_size=50)
    small = spec.Each("items", button=_button(), page_size=5)
    assert Renderer.page_sizes([unbounded, fixed]) == {0: 24}  # 24 x 4 + 2 + 2 = 100
    sizes = Renderer.page_sizes([too_big, fixed, small, unbounded])
    assert sizes == {0: 30, 2: 5, 3: 7}  # an equal share each: (100 - 2 - 3 x 2) // 3
    assert 30 + 2 + 5 + 7 * 4 + 3 * 2 <= BUTTONS_LIMIT


def test_fixed_rows_beyond_100_buttons_are_cut():
    rows = [[InlineButton(str(i), "d")] * 8 for i in range(20)]
    kept = _within_limit(rows)
    assert sum(map(len, kept)) == BUTTONS_LIMIT and all(len(r) <= 8 for r in kept)


def test_a_long_html_text_is_cut_at_a_line_end_and_stays_valid_html():
    text = "<b>Cart</b>\n\n" + "\n".join(f"{n}. <i>Tea &amp; cake</i> × 1" for n in range(400))
    cut = fit(text, 4096)
    assert len(cut) <= 4096 and cut.endswith("…")
    assert cut.count("<i>") == cut.count("</i>") and "&amp" not in cut.replace("&amp;", "")
    assert re.search(r"\d+\. <i>Tea &amp; cake</i> × 1…$", cut)
    cut = fit("<b>" + "x" * 5000 + "</b>", 1024)
    assert len(cut) <= 1024 and cut.startswith("<b>") and cut.endswith("…</b>")


def test_a_long_plain_notice_is_cut_as_plain_text():
    cut = fit("a < b & c " * 1000, 4096, html_text=False)
    assert len(cut) == 4096 and cut.endswith("…")
