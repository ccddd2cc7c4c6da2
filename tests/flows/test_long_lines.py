"""A cart, a confirmation or an order with many long lines keeps its total in one message."""

from __future__ import annotations

from flows.cart import lines_body


def test_lines_beyond_one_message_are_counted_and_the_total_stays():
    lines = [(f"Product {n} " + "x" * 115, 10_000, 10, 9_000, 2) for n in range(30)]
    body = lines_body(lines, "en")
    assert len(body) < 3500, "room is left for the screen around it (contacts: ~600)"
    assert "1. Product 0 " in body and "Product 29 " not in body
    assert "more lines (" in body
    shown = body.count("\n    2 × ")
    assert f"… and {30 - shown} more lines ({2 * (30 - shown)} items) for " in body
    assert body.rstrip().endswith("You save: 600 ₽")
    assert "<b>Total: 5,400 ₽</b>" in body


def test_a_short_cart_is_shown_whole():
    body = lines_body([("Tea", 100, 0, 100, 1)], "en")
    assert body == "1. Tea\n    1 × 1 ₽ = <b>1 ₽</b>\n\n<b>Total: 1 ₽</b>"
