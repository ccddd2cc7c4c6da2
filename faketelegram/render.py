"""A chat transcript as readable text, for failure messages and logs.

One line per entry::

    #1  user  message [1] '/start'
    #2  bot   send [2] 'Welcome!' buttons: [Catalog | catalog] [Cart | cart]
    #3  user  click [2] 'Catalog' (catalog)
    #4  bot   answer '' show_alert=False
    #5  bot   edit [2] 'Categories' buttons: [Phones | cat:1]
"""

from __future__ import annotations

__all__ = ["render_entry", "render_transcript"]


def render_transcript(entries: list[dict]) -> str:
    """Render transcript entries, one per line (empty string for none)."""
    return "\n".join(render_entry(entry) for entry in entries)


def render_entry(entry: dict) -> str:
    """Render one transcript entry."""
    parts = [
        f"#{entry.get('seq', '?'):<3}",
        f"{entry.get('actor', '?'):<5}",
        str(entry.get("action", "?")),
    ]
    if "user_id" in entry and entry.get("actor") == "user":  # a member, in a group
        parts.append(f"by {entry['user_id']}")
    if entry.get("method") and entry.get("action") in ("send", "edit"):
        parts.append(f"({entry['method']})")
    if "message_id" in entry and entry.get("action") != "answer":
        parts.append(f"[{entry['message_id']}]")
    for name in ("text", "caption", "emoji", "chat_action", "label"):
        if name in entry and entry.get("action") != "answer":
            parts.append(repr(entry[name]))
    for name in ("photo", "document", "sticker"):
        if name in entry:
            parts.append(f"{name}={entry[name]}")
    if "data" in entry:
        parts.append(f"({entry['data']})")
    if entry.get("action") == "answer":
        parts.append(f"{entry.get('text', '')!r} show_alert={entry.get('show_alert', False)}")
    if "invoice" in entry:
        parts.append(f"invoice {entry['invoice']['total_amount']} {entry['invoice']['currency']}")
    elif "total_amount" in entry:  # pre_checkout, payment, refund
        parts.append(f"{entry['total_amount']} {entry.get('currency', '')}".rstrip())
    if "ok" in entry:  # answer_pre_checkout
        refusal = entry.get("error_message")
        parts.append(f"ok={entry['ok']}" + (f" {refusal!r}" if refusal else ""))
    if "contact" in entry:
        parts.append(f"contact={entry['contact'].get('phone_number')}")
    markup = entry.get("reply_markup")
    if markup:
        parts.append(_render_markup(markup))
    return " ".join(parts)


def _render_markup(markup: dict) -> str:
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        label = "buttons:"
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        label = "keyboard:"
    else:
        return "remove keyboard" if markup.get("remove_keyboard") else "force reply"
    shown = []
    for row in rows:
        for button in row:
            action = button.get("callback_data") or button.get("url")
            shown.append(f"[{button['text']}" + (f" | {action}]" if action else "]"))
    return f"{label} {' '.join(shown)}"
