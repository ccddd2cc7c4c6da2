"""Reply markup: Telegram's checks on keyboards, and finding the button a user presses.

Structure errors are the Bot API server's ("can't parse inline keyboard button: Text buttons
are unallowed in the inline keyboard" for a button with neither callback_data nor any other
action, which is what an empty ``callback_data`` is); ``callback_data`` over 64 bytes of UTF-8
is Telegram's server-side "BUTTON_DATA_INVALID".
"""

from __future__ import annotations

from .errors import ControlError, bad_request
from .params import Params

__all__ = [
    "MAX_CALLBACK_DATA_BYTES",
    "check_callback_data",
    "describe_buttons",
    "find_button",
    "is_inline",
    "parse_reply_markup",
]

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
)


def parse_reply_markup(params: Params, *, inline_only: bool = False) -> dict | None:
    """The request's ``reply_markup``, checked; None when absent or empty.

    ``inline_only`` is for edits, which accept only an inline keyboard.
    """
    raw = params.json_value("reply_markup", "can't parse reply keyboard markup JSON object")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("object expected as reply markup")
    markup = _parse(raw)
    if inline_only and markup is not None and not is_inline(markup):
        raise bad_request("inline keyboard expected")
    return markup


def is_inline(markup: dict | None) -> bool:
    """Whether ``markup`` is an inline keyboard (the only kind a Message object carries)."""
    return bool(markup) and "inline_keyboard" in markup  # type: ignore[operator]


def _parse(raw: dict) -> dict | None:
    keyboard = _rows(raw, "keyboard", 'Field "keyboard" must be an Array of Arrays')
    inline = _rows(
        raw,
        "inline_keyboard",
        'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
    )
    if keyboard:
        rows = [[_keyboard_button(button) for button in row] for row in keyboard]
        _check_count(rows)
        options = (
            "resize_keyboard",
            "one_time_keyboard",
            "is_persistent",
            "selective",
            "input_field_placeholder",
        )
        return {"keyboard": rows, **{key: raw[key] for key in options if key in raw}}
    if inline:
        rows = [[_inline_button(button) for button in row] for row in inline]
        _check_count(rows)
        return {"inline_keyboard": rows}
    if raw.get("remove_keyboard") or raw.get("hide_keyboard"):
        return {"remove_keyboard": True}
    if raw.get("force_reply") or raw.get("force_reply_keyboard"):
        extra = (
            {"input_field_placeholder": raw["input_field_placeholder"]}
            if "input_field_placeholder" in raw
            else {}
        )
        return {"force_reply": True, **extra}
    return None


def _rows(raw: dict, name: str, error: str) -> list:
    rows = raw.get(name)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise bad_request(f'field "{name}" must be of type Array')
    if any(not isinstance(row, list) for row in rows):
        raise bad_request(error[0].lower() + error[1:])
    return rows


def _check_count(rows: list[list[dict]]) -> None:
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")


def _keyboard_button(button: object) -> dict:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse keyboard button: KeyboardButton must be a String or an Object"
        )
    text = _text(button, "can't parse keyboard button: ")
    if not text:
        raise bad_request("keyboard button text must be non-empty")
    return dict(button)


def _text(button: dict, prefix: str) -> str:
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    return text


def _inline_button(button: object) -> dict:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = _text(button, prefix)
    kept = {"text": text}
    for action in _INLINE_ACTIONS:
        value = button.get(action)
        if value is None or value == "":
            continue  # Telegram ignores empty actions: an empty callback_data is no action
        if action == "callback_data" and not isinstance(value, str):
            raise bad_request(prefix + 'Field "callback_data" must be of type String')
        kept[action] = value
        break
    else:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if not text:
        raise bad_request("inline keyboard button text must be non-empty")
    return kept


def check_callback_data(markup: dict | None) -> None:
    """Telegram's server-side limit: every ``callback_data`` within 64 bytes of UTF-8."""
    if not is_inline(markup):
        return
    for row in markup["inline_keyboard"]:  # type: ignore[index]
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")


def _buttons(markup: dict | None) -> list[tuple[int, int, dict]]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [(r, c, button) for r, row in enumerate(rows) for c, button in enumerate(row)]


def describe_buttons(markup: dict | None) -> str:
    """The buttons of ``markup`` for an error message: ``'Catalog' (catalog:0), ...``."""
    parts = []
    for r, c, button in _buttons(markup):
        action = button.get("callback_data") or button.get("url") or ""
        parts.append(f"[{r},{c}] {button['text']!r}" + (f" ({action})" if action else ""))
    return ", ".join(parts) or "none"


def find_button(
    markup: dict | None,
    *,
    data: str | None = None,
    label: str | None = None,
    position: int | tuple[int, int] | list[int] | None = None,
    where: str = "the message",
) -> dict:
    """The button of ``markup`` with this callback data, label, or position.

    ``position`` is ``(row, column)`` or an index counting buttons left to right, top to
    bottom, from 0. Raises :class:`ControlError` naming the buttons there are.
    """
    chosen = [x is not None for x in (data, label, position)]
    if sum(chosen) != 1:
        raise ControlError("give exactly one of data, label or position")
    buttons = _buttons(markup)
    if not buttons:
        raise ControlError(f"{where} has no buttons")
    if position is not None:
        if isinstance(position, int):
            if 0 <= position < len(buttons):
                return buttons[position][2]
        else:
            row, column = position
            for r, c, button in buttons:
                if (r, c) == (row, column):
                    return button
        raise ControlError(
            f"no button at position {position!r} in {where}; buttons: {describe_buttons(markup)}"
        )
    for _, _, button in buttons:
        if data is not None and button.get("callback_data") == data:
            return button
        if label is not None and button["text"] == label:
            return button
    wanted = f"callback data {data!r}" if data is not None else f"label {label!r}"
    raise ControlError(f"no button with {wanted} in {where}; buttons: {describe_buttons(markup)}")
