"""The bot's command menu at Telegram (``setMyCommands``), from the flows' ``bot.commands``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import telebot

    from engine.loader import Flows


def register_commands(bot: telebot.TeleBot, flowset: Flows) -> None:
    """``setMyCommands`` in every language, so Telegram's menu button lists them.

    Commands without a description (an admin's, say) are not listed. The default language's
    list is also Telegram's default, for clients in a language the bot does not speak.
    """
    from telebot import types

    for lang in flowset.bot.languages:
        commands = [types.BotCommand(c.command, flowset.catalog.text(c.description, lang, {},
                                                                    html=False))
                    for c in flowset.bot.commands if c.description]
        bot.set_my_commands(commands, language_code=None if lang == flowset.bot.default_language
                            else lang)
        if lang == flowset.bot.default_language:
            bot.set_my_commands(commands, language_code=lang)
