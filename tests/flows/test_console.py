"""``run_bot.py --console``: a shopper buys something by typing, and the walk is recorded."""

from __future__ import annotations

import itertools
import re

import settings
from engine import StubSender
from engine.replay import Runner, load_script
from engine.replay.fallback import application_target
from engine.replay.record import Recorder
from engine.run import Console
from flows.shop import FLOWS_DIR, shop


def demo_engine():
    """The shop's engine on the demo catalog, as ``run_bot.py --console`` builds it."""
    return shop.start(settings.load({}), StubSender(), demo=True)


def run_console(inputs: list[str], **kwargs) -> list[str]:
    lines: list[str] = []
    feed = iter(inputs)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    console = Console(demo_engine(), out=lines.append, read=read, **kwargs)
    assert console.run() == 0
    return lines


def choice(lines: list[str], label: str) -> str:
    """The number the console shows for a label (the newest one)."""
    import re

    for line in reversed(lines):
        found = re.findall(r"\[(\d+)\] ([^\[]+)", line)
        for number, text in found:
            if text.strip() == label:
                return number
    raise AssertionError(f"{label!r} not offered in:\n" + "\n".join(lines[-15:]))


def test_a_newcomer_buys_something_by_typing(tmp_path):
    script = tmp_path / "walk.yaml"
    recorder = Recorder(script, language="ru", setup=shop.record_setup)
    lines: list[str] = []
    steps = [("🛍 Каталог", None), ("Книги", None), ("Научно-популярная", None),
             ("🛒 В корзину", None), ("🛒 Корзина", None), ("✅ Оформить заказ", None),
             ("Продолжить ›", None), (None, "ivan@example.com"), (None, "+7 999 123-45-67"),
             (None, "Москва, ул. Ленина, д. 1"), ("✅ Подтвердить заказ", None)]
    feed: list[str] = []

    def read(prompt: str) -> str:
        if not steps:
            raise EOFError
        label, typed = steps.pop(0)
        return typed if typed is not None else choice(lines, label)

    console = Console(demo_engine(), out=lines.append, read=read, recorder=recorder)
    assert console.run() == 0
    recorder.close()
    text = "\n".join(lines)
    assert "Здравствуйте, Гость!" in text
    assert "🖼  [science-" in text
    assert "Заказ №1001 оформлен!" in text, text[-1500:]
    assert not feed
    result = Runner("flows.replay:target").run(load_script(script))
    assert result.ok, "\n".join(result.failures)
    assert result.steps == 12


def test_unknown_input_gets_help_and_quit_leaves():
    lines = run_console(["hello", "/quit"])
    assert any("Я понимаю только кнопки и команды" in line for line in lines)


def test_run_bot_demo_loads_the_catalog_before_polling(monkeypatch):
    import run_bot
    from engine.run import poll

    seen = {}
    monkeypatch.setenv("BOT_TOKEN", "1:fake")
    monkeypatch.setattr(poll, "run_polling",
                        lambda app, config, demo, **_: seen.update(app=app, demo=demo))
    assert run_bot.main(["--demo", "--log-level", "WARNING"]) == 0
    assert seen == {"app": shop, "demo": True}
    engine = demo_engine()
    from models import Product

    assert Product.objects.count() == 46 and engine.flowset.bot.start == "main_menu"


def test_the_default_name_is_in_the_users_language():
    assert any(line.startswith("Hello, Guest!") for line in run_console([], language_code="en"))
    assert any(line.startswith("Здравствуйте, Гость!") for line in run_console([]))


def test_numbers_stay_with_their_buttons_after_a_toast_only_press():
    """Issue 14.7: a press that only shows a toast must not renumber what is on screen."""
    from models import Cart

    lines: list[str] = []
    numbers: dict[str, str] = {}
    plan = [lambda: choice(lines, "🛍 Catalog"), lambda: choice(lines, "Books"),
            lambda: choice(lines, "Popular science")]

    def read(prompt: str) -> str:
        if plan:
            return plan.pop(0)()
        if not numbers:  # the product messages are on screen: note two add buttons
            found = [n for line in lines for n, label in re.findall(r"\[(\d+)\] ([^\[]+)", line)
                     if label.strip() == "🛒 Add to cart"]
            numbers["first"], numbers["second"] = found[0], found[1]
            return numbers["first"]
        if "pressed" not in numbers:
            numbers["pressed"] = numbers["second"]
            return numbers["second"]
        raise EOFError

    console = Console(demo_engine(), out=lines.append, read=read, language_code="en")
    assert console.run() == 0
    cart = Cart.for_user(1)
    assert len(cart.lines()) == 2, "\n".join(lines[-12:])


def test_an_empty_line_prints_nothing_and_plain_texts_keep_their_brackets():
    """Issue 14.8."""
    lines: list[str] = []
    feed = iter(["PROFILE", "NAME", "", "<script>"])

    def read(prompt: str) -> str:
        step = next(feed, None)
        if step is None:
            raise EOFError
        if step == "PROFILE":
            return choice(lines, "👤 Profile")
        if step == "NAME":
            return choice(lines, "✏️ Name")
        if step == "":
            read.before = len(lines)
        return step

    console = Console(demo_engine(), out=lines.append, read=read, language_code="en")
    assert console.run() == 0
    after_empty = lines[read.before:]
    assert after_empty[0] == "A name is 1 to 60 characters, without < > / @ #."
    assert "What should we call you?" in after_empty[2]


def keyboard_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("⌨️")]


def test_the_main_keyboard_keeps_1_to_6_after_the_phone_keyboard():
    """Issue 14 review B: after checkout's phone keyboard the main one read [1] [2] [73] [74]."""
    lines: list[str] = []
    steps = [("🛍 Каталог", None), ("Книги", None), ("Научно-популярная", None),
             ("🛒 В корзину", None), ("🛒 Корзина", None), ("✅ Оформить заказ", None),
             ("Продолжить ›", None), (None, "ivan@example.com"), (None, "+7 999 123-45-67"),
             (None, "4")]

    def read(prompt: str) -> str:
        if not steps:
            raise EOFError
        label, typed = steps.pop(0)
        return typed if typed is not None else choice(lines, label)

    console = Console(demo_engine(), out=lines.append, read=read)
    assert console.run() == 0
    main = ("⌨️  [1] 🛍 Каталог  [2] 🛒 Корзина  [3] 📰 Новости  [4] 👤 Профиль  "
            "[5] 📦 Мои заказы  [6] ❓ Помощь")
    shown = keyboard_lines(lines)
    assert "📱 Отправить мой номер" in "".join(shown)  # the phone keyboard came in between
    assert all(line == main for line in shown if "Каталог" in line), shown
    assert any(line.startswith("👤 Профиль") for line in lines[-12:]), "\n".join(lines[-12:])


def test_the_main_keyboard_keeps_its_numbers_in_another_language():
    lines: list[str] = []
    plan = ["👤 Профиль", "🇬🇧 English", None]

    def read(prompt: str) -> str:
        if not plan:
            raise EOFError
        label = plan.pop(0)
        return choice(lines, label) if label else "4"

    console = Console(demo_engine(), out=lines.append, read=read)
    assert console.run() == 0
    shown = keyboard_lines(lines)
    assert shown[-1] == ("⌨️  [1] 🛍 Catalog  [2] 🛒 Cart  [3] 📰 News  [4] 👤 Profile  "
                         "[5] 📦 My orders  [6] ❓ Help"), shown
    assert any(line.startswith("👤 Profile") for line in lines[-12:]), "\n".join(lines[-12:])


_consoles = itertools.count()


def console_in_terminal(monkeypatch, capsys, env: dict[str, str], plan: list,
                        args: tuple = ()) -> list[str]:
    """``run_bot.py --console --lang en`` (and ``args``) with ``env``, typing ``plan``: a
    label (its number is typed), ``("type", text)``, or a callable of the lines so far; the
    lines."""
    import sys

    import run_bot

    # the console's own embedded store, fresh each time: CI runs the suite with MONGO_URI
    # naming the real server, where the console would meet the conversation an earlier
    # test left (its keyboard "already shown") and write the demo catalog
    monkeypatch.setenv("MONGO_URI", f"mongomock://localhost/console{next(_consoles)}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    lines: list[str] = []

    class Keyboard:
        """Standard input as ``input()`` reads it, typing the next step of the plan."""

        def readline(self) -> str:
            lines.extend(capsys.readouterr().out.splitlines())
            if not plan:
                return ""  # end of input
            step = plan.pop(0)
            if isinstance(step, tuple):
                return step[1] + "\n"
            return (step(lines) if callable(step) else choice(lines, step)) + "\n"

    monkeypatch.setattr(sys, "stdin", Keyboard())
    try:
        assert run_bot.main(["--console", "--lang", "en", "--log-level", "ERROR", *args]) == 0
    finally:
        from flows import payments

        payments.configure(None)  # the settings of the next test's engine, not these
    lines.extend(capsys.readouterr().out.splitlines())
    return lines


CHECKOUT = ["🛍 Catalog", "Books", "Popular science", "🛒 Add to cart", "🛒 Cart",
            "✅ Check out", "Continue ›", ("type", "ivan@example.com"),
            ("type", "+7 999 123-45-67"), ("type", "1 Main Street, Springfield"),
            "✅ Place order"]


def pay_button(lines: list[str]) -> str:
    """The number of the newest invoice's Pay button."""
    for line in reversed(lines):
        found = re.fullmatch(r"\s+\[(\d+)\] Pay \d+\.\d\d RUB", line)
        if found:
            return found.group(1)
    raise AssertionError("no Pay button in:\n" + "\n".join(lines[-15:]))


def test_an_invoice_shows_in_the_console_and_is_paid_there(monkeypatch, capsys):
    """The console showed "Pay with the invoice below" and no invoice, with no way to pay:
    now the invoice shows as Telegram's card does, its Pay button (or /pay) plays Telegram's
    pre-checkout and payment through the bot's payment handler, and a second payment of the
    same invoice is refused with the bot's reason."""
    from models import Order

    lines = console_in_terminal(monkeypatch, capsys, {"PAYMENT_PROVIDER_TOKEN": "test"},
                                [*CHECKOUT, pay_button, ("type", "/pay")])
    text = "\n".join(lines)
    assert "Pay with the invoice below" in text
    order = Order.objects.get(number=1001)
    invoice = lines.index("🧾 Order #1001")
    assert lines[invoice + 1] == "The Encyclopedia of Everything × 1", text[-1500:]
    total = re.fullmatch(r"\s+\[\d+\] Pay (\d+\.\d\d RUB)", lines[invoice + 2]).group(1)
    assert total == f"{order.total // 100}.{order.total % 100:02d} RUB"
    assert lines[invoice + 3] == "(press Pay, or type /pay for the newest invoice, to pay as " \
                                 "in Telegram)"
    paid = lines.index(f"💳 paying {total} for “Order #1001”")
    assert lines[paid + 1] == f"  ✅ you paid {total}"
    assert "💳 Payment for order #1001 received. We will tell you when it ships." in \
        lines[paid + 2:], text[-1500:]
    assert order.reload().status == "paid"
    again = lines.index(f"💳 paying {total} for “Order #1001”", paid + 1)
    assert lines[again + 1] == "  ❌ Order #1001 is paid already: nothing to pay."
    assert order.reload().status == "paid"


def test_pay_without_an_invoice_says_so(monkeypatch, capsys):
    lines = console_in_terminal(monkeypatch, capsys, {}, [("type", "/pay")])
    assert "  (no invoice to pay in this chat)" in lines
    assert not any("type /pay" in line for line in lines)  # told only with an invoice


def test_the_demos_e_book_is_paid_in_stars_in_the_console(monkeypatch, capsys):
    """``STARS=1 run_bot.py --console``: the demo's digital product (an e-book) asks no
    address, and its invoice is in Stars (299 ₽ at 150 kopecks a star: ⭐️200)."""
    from models import Order

    plan = ["🛍 Catalog", "Books", "Fiction", "Science fiction", "🛒 Add to cart", "🛒 Cart",
            "✅ Check out", "Continue ›", ("type", "ivan@example.com"),
            ("type", "+7 999 123-45-67"), "✅ Place order", "Pay ⭐️200"]
    lines = console_in_terminal(monkeypatch, capsys, {"STARS": "1"}, plan)
    text = "\n".join(lines)
    assert "Monday Begins on Saturday — e-book × 1" in lines, text[-1500:]
    assert "💳 paying ⭐️200 for “Order #1001”" in lines
    assert "Your purchase is digital: we will send it to you in this chat shortly." in text
    order = Order.objects.get(number=1001)
    assert (order.status, order.pay_currency, order.pay_amount, order.address) == \
        ("paid", "XTR", 200, None)


def record_and_replay(monkeypatch, capsys, tmp_path, env: dict[str, str], plan: list):
    """Record ``plan`` in the console with ``env``; replay the script without ``env`` (its
    own ``env:`` must switch payments on); the script's text."""
    script, steps = tmp_path / "paid.yaml", len(plan) + 1  # and /start
    lines = console_in_terminal(monkeypatch, capsys, env, plan, ("--record", str(script)))
    assert any(line.startswith("recorded ") for line in lines)
    for name in env:  # the replay has only what the script says
        monkeypatch.delenv(name)
    text = script.read_text(encoding="utf-8")
    assert "# Replay: python -m engine replay THIS_FILE --target flows.replay:target\n" in text
    for target in ("flows.replay:target", application_target(FLOWS_DIR)):  # and with none
        result = Runner(target).run(load_script(script))
        assert result.ok, "\n".join(result.failures)
        assert result.steps == steps
    return text


def test_a_recorded_card_payment_replays(monkeypatch, capsys, tmp_path):
    """A console session that pays was recorded without the settings that turned payments
    on, and without the invoice (the outbox sends it after the step): its replay failed."""
    import yaml

    text = record_and_replay(monkeypatch, capsys, tmp_path,
                             {"PAYMENT_PROVIDER_TOKEN": "284685063:TEST:secret"},
                             [*CHECKOUT, pay_button])
    assert "secret" not in text  # never the real token: a placeholder
    script = yaml.safe_load(text)
    assert script["env"]["PAYMENT_PROVIDER_TOKEN"] == "test"
    assert script["env"].get("STARS", "0") == "0"
    placed, paid = script["steps"][-2:]
    assert any(shown["text"] == "Order #1001\nThe Encyclopedia of Everything × 1"
               for shown in placed["expect"])  # the invoice, sent by the outbox
    assert paid["pay"] is True
    assert any("received" in shown["text"] for shown in paid["expect"])


def test_a_recorded_stars_payment_of_the_e_book_replays(monkeypatch, capsys, tmp_path):
    import yaml

    plan = ["🛍 Catalog", "Books", "Fiction", "Science fiction", "🛒 Add to cart", "🛒 Cart",
            "✅ Check out", "Continue ›", ("type", "ivan@example.com"),
            ("type", "+7 999 123-45-67"), "✅ Place order", "Pay ⭐️200"]
    text = record_and_replay(monkeypatch, capsys, tmp_path, {"STARS": "1"}, plan)
    env = yaml.safe_load(text)["env"]
    assert env["STARS"] == "1" and env["STARS_RATE"] == "150"
    assert "PAYMENT_PROVIDER_TOKEN" not in env or not env["PAYMENT_PROVIDER_TOKEN"]
