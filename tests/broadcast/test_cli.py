"""``run_bot.py broadcast`` and ``run_bot.py worker`` (in this process, on the embedded store)."""

from __future__ import annotations

import pytest

import models
import run_bot
from models import Broadcast, News, User
from tests.broadcast.conftest import bot_sends, make_users


@pytest.fixture
def media(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def cli(db, tg, monkeypatch, media):
    """``run_bot.main`` against the fake server, keeping the test's database."""
    monkeypatch.setattr(models, "connect", lambda uri: None)
    for name, value in {"BOT_TOKEN": tg.token, "TELEGRAM_API_URL": tg.url,
                        "MONGO_URI": "mongomock://localhost/cli", "BROADCAST_RATE": "200",
                        "MEDIA_DIR": str(media)}.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> int:
        return run_bot.main([*args, "--log-level", "WARNING", "--timeout", "1", "--lease", "3"])
    return run


def test_broadcast_sends_with_a_live_progress_bar_then_prints_the_counts(cli, tg, capsys):
    make_users(tg, range(1, 31))
    User(telegram_id=31, first_name="Gone").save()  # never started the bot: chat not found
    tg.user(7).block()
    assert cli("broadcast", "--text", "Sale <today> & tomorrow") == 0
    out, err = capsys.readouterr()
    broadcast = Broadcast.objects.get()
    assert out.splitlines() == [
        f"broadcast {broadcast.pk}: queued",
        f"broadcast {broadcast.pk} done: sent 29, blocked 1, failed 1, in doubt 0, "
        "not sent 0 (of 31 recipients)"]
    assert "broadcast: 100%" in err and "31/31" in err  # tqdm's bar, on stderr
    assert [s["text"] for s in bot_sends(tg, 3)] == ["Sale <today> & tomorrow"]
    assert bot_sends(tg, 7) == [] and User.objects.get(telegram_id=7).blocked
    assert broadcast.origin == "cli"


def test_broadcast_of_a_news_item_follows_the_one_queued_when_it_was_created(cli, tg, capsys):
    make_users(tg, [1, 2])
    make_users(tg, [3], language="en")
    news = News(title="Зимняя коллекция", content="Уже в каталоге")
    news.save()
    assert cli("broadcast", "--news", str(news.pk)) == 0
    assert Broadcast.objects.count() == 1
    assert bot_sends(tg, 1)[0]["text"].startswith("📰 Зимняя коллекция")
    assert len(bot_sends(tg, 3)) == 1
    assert "sent 3, blocked 0, failed 0" in capsys.readouterr().out
    assert cli("broadcast", "--news", str(news.pk)) == 0  # already done: nothing sent again
    assert len(bot_sends(tg, 1)) == 1


@pytest.mark.parametrize("args, message", [
    ((), "give --text MESSAGE or --news ID"),
    (("--text", "   "), "give --text MESSAGE or --news ID"),
    (("--text", "x" * 4097), "--text is 4097 characters; Telegram takes 4096"),
    (("--text", "x" * 1025, "--photo", "pic.png"), "Telegram takes 1024"),
    (("--text", "Sale", "--photo", "no/such/pic.png"),
     "--photo 'no/such/pic.png': no such picture in the media directory"),
    (("--text", "Sale", "--photo", "/etc/passwd"), "--photo '/etc/passwd': not a PNG"),
    (("--news", "nope"), "no news item 'nope'"),
    (("--news", "6650c0ffee0000000000cafe"), "no news item"),
])
def test_bad_arguments_are_refused_and_nothing_is_queued(cli, capsys, args, message):
    assert cli("broadcast", *args) == 2
    assert message in capsys.readouterr().err
    assert Broadcast.objects.count() == 0


def test_no_wait_only_queues(cli, capsys):
    assert cli("broadcast", "--text", "later", "--no-wait") == 0
    assert Broadcast.objects.get().status == "queued"
    assert "the embedded store" in capsys.readouterr().err  # nothing else would send it


def test_a_separate_worker_refuses_the_embedded_store(cli, capsys):
    assert cli("worker") == 2
    assert "embedded store" in capsys.readouterr().err


def test_a_local_picture_is_sent_with_the_text_as_its_caption(cli, tg, tmp_path, monkeypatch,
                                                              media):
    from PIL import Image

    make_users(tg, [1, 2])
    monkeypatch.chdir(tmp_path)  # a path relative to where the command runs
    Image.new("RGB", (8, 8), "red").save(tmp_path / "sale.png")
    assert cli("broadcast", "--text", "Sale!", "--photo", "sale.png") == 0
    name = Broadcast.objects.get().photo  # copied into MEDIA_DIR: workers send only from it
    assert (media / name).read_bytes() == (tmp_path / "sale.png").read_bytes()
    first, second = (bot_sends(tg, chat)[0] for chat in (1, 2))
    assert first["caption"] == second["caption"] == "Sale!"
    assert first["photo"] == second["photo"]  # uploaded once, then its file_id
    assert [c["method"] for c in tg.calls(method="sendPhoto")] == ["sendPhoto"] * 2
