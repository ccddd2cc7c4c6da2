"""Telegram's hard limits (https://core.telegram.org/bots/api)."""

MESSAGE_LIMIT = 4096  # characters of a message's text
CAPTION_LIMIT = 1024  # characters of a photo's caption
CALLBACK_DATA_BYTES = 64  # bytes (UTF-8) of an inline button's callback_data
GLOBAL_RATE = 30  # messages per second across chats
PER_CHAT_RATE = 1  # messages per second in one chat
