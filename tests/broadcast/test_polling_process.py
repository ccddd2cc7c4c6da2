"""The bot's own process: an admin's /broadcast is sent by the polling process's worker
thread, under Telegram's limits, while shoppers keep getting their answers at once.

The real ``run_bot.py`` (long polling, embedded store, so bot and worker share it in one
process) against the fake Telegram server with its flood limits on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faketelegram import FakeTelegram, RateLimits

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 900
SHOPPERS = range(1, 41)
TEXT = "Распродажа до воскресенья"


def sends(tg, chat_id: int, text: str) -> int:
    return sum(1 for e in tg.transcript(chat_id, actor="bot")
               if e["action"] == "send" and e.get("text") == text)


def test_an_admin_broadcast_goes_out_beside_shoppers_answered_at_once(tmp_path):
    with FakeTelegram(rate_limits=RateLimits()) as tg:
        env = {**os.environ, "BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
               "MONGO_URI": "mongomock://localhost/polling", "ADMIN_IDS": str(ADMIN),
               "BROADCAST_RATE": "10", "PYTHONPATH": str(ROOT)}
        log = open(tmp_path / "bot.log", "w+", encoding="utf-8")  # noqa: SIM115
        bot = subprocess.Popen([sys.executable, str(ROOT / "run_bot.py"), "--log-level",
                                "WARNING"], env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
        try:
            tg.wait_polling(timeout=60)
            people = [tg.user(user, first_name=f"U{user}", language_code="ru")
                      for user in [*SHOPPERS, ADMIN]]
            for person in people:
                person.send("/start")
            for person in people:
                person.wait(timeout=20)
            admin = people[-1]
            admin.send("/broadcast")
            admin.wait()
            admin.send(TEXT)
            assert "получатели (41)" in admin.wait()[0]["text"]
            admin.click("📣 Отправить всем")
            admin.wait(2)  # the progress report, and the answer to the press

            # 41 messages at 10 a second: four seconds of sending, and a shopper meanwhile
            time.sleep(1.0)
            shopper = tg.user(5)
            asked = time.monotonic()
            shopper.send("/help")
            reply = shopper.wait(timeout=5)[0]
            answered = time.monotonic() - asked
            assert reply["text"].startswith("Что умеет бот")
            assert answered < 1.0, f"the shopper waited {answered:.2f}s"
            assert sum(sends(tg, u, TEXT) for u in SHOPPERS) < 40  # still sending then

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                admin.click("🔄 Обновить")
                time.sleep(0.5)
                report = next(m["text"] for m in tg.messages(ADMIN)
                              if m.get("text", "").startswith("📣 Рассылка:"))
                if "завершена" in report:
                    break
            assert "Получателей: 41\n✅ Доставлено: 41\n" in report, report
            assert all(sends(tg, u, TEXT) == 1 for u in [*SHOPPERS, ADMIN])
            # (41 greetings at once went over the limit: the bot's sender waited those out)
            floods = [c for c in tg.calls(errors_only=True)
                      if c.get("error_code") == 429 and c["params"].get("text") == TEXT]
            assert floods == [], floods
        finally:
            bot.terminate()
            bot.wait(timeout=15)
            log.seek(0)
            output = log.read()
            log.close()
        assert "Traceback" not in output, output
