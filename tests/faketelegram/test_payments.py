"""Payments: sendInvoice's rules, a buyer paying (ok, refused, late, twice), the 10 s deadline,
refunds, redelivered and duplicated updates, over getUpdates, webhooks and the control API."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import telebot
from telebot import types

from faketelegram import FakeTelegram

from .conftest import USER_ID, call, control, drain, error_of

TOO_OLD = (400, "Bad Request: query is too old and response timeout expired or query ID is invalid")

STARS = {"currency": "XTR", "prices": [{"label": "Ebook", "amount": 50}]}
RUB = {
    "currency": "RUB",
    "provider_token": "381764678:TEST:1",
    "prices": [
        {"label": "Mug", "amount": 50000},
        {"label": "Delivery", "amount": 30000},
    ],
}


def invoice(tg: FakeTelegram, **params: object) -> dict:
    """Send an invoice to USER_ID (Stars unless ``params`` say); the answer's result."""
    fields = {
        "chat_id": USER_ID,
        "title": "Ebook",
        "description": "A good book",
        "payload": "order:7",
        **STARS,
        **params,
    }
    body = call(tg, "sendInvoice", **fields)
    assert body["ok"], body
    return body["result"]


@contextlib.contextmanager
def answering(tg: FakeTelegram, ok: bool = True, error_message: str | None = None):
    """A polling bot in a thread that answers every pre-checkout query; yields the updates
    it got (each confirmed)."""
    got: list[dict] = []
    stop = threading.Event()

    def run() -> None:
        offset = 0
        while not stop.is_set():
            updates = call(tg, "getUpdates", offset=offset, timeout=1)["result"]
            for update in updates:
                got.append(update)
                offset = max(offset, update["update_id"] + 1)
                query = update.get("pre_checkout_query")
                if query is not None:
                    answer = {"pre_checkout_query_id": query["id"], "ok": ok}
                    if error_message:
                        answer["error_message"] = error_message
                    assert call(tg, "answerPreCheckoutQuery", **answer)["ok"]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        tg.wait_polling()
        yield got
        tg.wait_idle(quiet=0.05)
    finally:
        stop.set()
        thread.join(5)


def _kinds(updates: list[dict]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


# -- sendInvoice ----------------------------------------------------------------------------


def test_an_invoice_is_a_message_with_a_pay_button(tg, ann):
    sent = invoice(tg, start_parameter="ebook", protect_content=True)
    assert sent["invoice"] == {
        "title": "Ebook",
        "description": "A good book",
        "start_parameter": "ebook",
        "currency": "XTR",
        "total_amount": 50,
    }
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "Pay ⭐️50", "pay": True}]]}
    assert "payload" not in json.dumps(sent)  # the payload stays server-side
    entry = tg.transcript(USER_ID, actor="bot")[-1]
    assert entry["kind"] == "invoice" and entry["method"] == "sendInvoice"
    assert entry["invoice"]["payload"] == "order:7"
    assert tg.invoices(USER_ID) == [
        {
            "chat_id": USER_ID,
            "message_id": sent["message_id"],
            "title": "Ebook",
            "description": "A good book",
            "payload": "order:7",
            "currency": "XTR",
            "prices": [{"label": "Ebook", "amount": 50}],
            "total_amount": 50,
            "paid": 0,
        }
    ]
    card = invoice(
        tg,
        **RUB,
        reply_markup={
            "inline_keyboard": [
                [{"text": "Pay 800 ₽", "pay": True}],
                [{"text": "Cancel", "callback_data": "cancel"}],
            ]
        },
    )
    assert card["invoice"]["total_amount"] == 80000
    assert card["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "cancel"
    assert tg.message(USER_ID, card["message_id"])["invoice"]["currency"] == "RUB"


@pytest.mark.parametrize(
    ("currency", "amount", "shown"),
    [
        ("RUB", 89000, "Pay 890.00 RUB"),
        ("USD", 5, "Pay 0.05 USD"),
        ("JPY", 5000, "Pay 5000 JPY"),  # no minor unit
        ("KRW", 12000, "Pay 12000 KRW"),
        ("KWD", 1500, "Pay 1.500 KWD"),  # three digits after the point
        ("XTR", 50, "Pay ⭐️50"),
    ],
)
def test_the_pay_button_shows_the_total_in_major_units(tg, ann, currency, amount, shown):
    params = {"currency": currency, "prices": [{"label": "Mug", "amount": amount}]}
    if currency != "XTR":
        params["provider_token"] = "381764678:TEST:1"
    sent = invoice(tg, **params)
    assert sent["invoice"]["total_amount"] == amount  # the Bot API stays in minor units
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": shown, "pay": True}]]}


def test_a_discount_is_a_negative_price_part(tg, ann):
    sent = invoice(
        tg,
        **{
            **RUB,
            "prices": [{"label": "Mug", "amount": 500}, {"label": "Discount", "amount": -100}],
        },
    )
    assert sent["invoice"]["total_amount"] == 400


_RULES = [
    ({"title": ""}, 'Bad Request: parameter "title" is required'),
    ({"description": ""}, 'Bad Request: parameter "description" is required'),
    ({"payload": ""}, 'Bad Request: parameter "payload" is required'),
    ({"currency": ""}, 'Bad Request: parameter "currency" is required'),
    ({"prices": ""}, 'Bad Request: parameter "prices" is required'),
    ({"prices": "[{"}, "Bad Request: can't parse prices JSON object"),
    ({"prices": {"label": "a"}}, "Bad Request: expected an Array of labeled prices"),
    ({"prices": []}, "Bad Request: there must be at least one price"),
    ({"prices": [5]}, "Bad Request: can't parse labeled price: LabeledPrice must be an Object"),
    (
        {"prices": [{"label": "", "amount": 5}]},
        "Bad Request: can't parse labeled price: LabeledPrice label must be non-empty",
    ),
    (
        {"prices": [{"label": "a"}]},
        "Bad Request: can't parse labeled price: Can't find field \"amount\"",
    ),
    (
        {"prices": [{"label": "a", "amount": 1.5}]},
        'Bad Request: can\'t parse labeled price: Field "amount" must be a valid Number',
    ),
    ({"max_tip_amount": "lots"}, 'Bad Request: can\'t parse "max_tip_amount" as Number'),
    (
        {"suggested_tip_amounts": "[1,"},
        "Bad Request: can't parse suggested_tip_amounts JSON object",
    ),
    ({"chat_id": 777}, "Bad Request: chat not found"),
    ({"prices": [{"label": "a", "amount": 0}]}, "Bad Request: total price must be positive"),
    ({"prices": [{"label": "a", "amount": -5}]}, "Bad Request: total price must be positive"),
    (
        {"prices": [{"label": "a", "amount": 10**12}]},
        "Bad Request: too big amount of the currency specified",
    ),
    (
        {**RUB, "max_tip_amount": 100, "suggested_tip_amounts": [0]},
        "Bad Request: suggested tip amount must be positive",
    ),
    (
        {**RUB, "max_tip_amount": 100, "suggested_tip_amounts": [200]},
        "Bad Request: suggested tip amount can't be bigger than max_tip_amount",
    ),
    (
        {**RUB, "max_tip_amount": 100, "suggested_tip_amounts": [1, 2, 3, 4, 5]},
        "Bad Request: there can be at most 4 suggested tip amounts",
    ),
    ({"payload": "x" * 129}, "Bad Request: INVOICE_PAYLOAD_INVALID"),
    ({"payload": "ж" * 65}, "Bad Request: INVOICE_PAYLOAD_INVALID"),  # 130 bytes
    ({"title": "x" * 33}, "Bad Request: MEDIA_INVALID"),
    ({"description": "x" * 256}, "Bad Request: MEDIA_INVALID"),
    ({"provider_token": "381764678:TEST:1"}, "Bad Request: STARS_INVOICE_INVALID"),
    (
        {"prices": [{"label": "a", "amount": 1}, {"label": "b", "amount": 1}]},
        "Bad Request: STARS_INVOICE_INVALID",
    ),
    ({"max_tip_amount": 10}, "Bad Request: STARS_INVOICE_INVALID"),
    ({**RUB, "provider_token": ""}, "Bad Request: PAYMENT_PROVIDER_INVALID"),
    ({**RUB, "currency": "rub"}, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"),
    (
        {"reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}},
        "Bad Request: REPLY_MARKUP_BUY_EMPTY",
    ),
    (
        {
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "Go", "callback_data": "go"}, {"text": "Pay", "pay": True}]
                ]
            }
        },
        "Bad Request: BUTTON_POS_INVALID",
    ),
    ({"reply_markup": {"keyboard": [["Pay"]]}}, "Bad Request: REPLY_MARKUP_INVALID"),
]


@pytest.mark.parametrize(("change", "description"), _RULES)
def test_send_invoice_rules(tg, ann, change, description):
    fields = {
        "chat_id": USER_ID,
        "title": "Ebook",
        "description": "A good book",
        "payload": "order:7",
        **STARS,
        **change,
    }
    assert error_of(tg, "sendInvoice", **fields) == (400, description)
    assert tg.invoices() == []


def test_send_invoice_to_a_user_who_blocked_the_bot(tg, ann):
    ann.block()
    fields = {"chat_id": USER_ID, "title": "T", "description": "D", "payload": "p", **STARS}
    assert error_of(tg, "sendInvoice", **fields) == (403, "Forbidden: bot was blocked by the user")


# -- paying -----------------------------------------------------------------------------------


def test_paying_with_telebot(tg, bot):
    """telebot's own methods and parsing: send_invoice, the pre-checkout handler,
    answer_pre_checkout_query, the successful_payment message, refund_star_payment."""
    paid: list[types.SuccessfulPayment] = []

    @bot.message_handler(commands=["buy"])
    def buy(message):
        bot.send_invoice(
            message.chat.id,
            "Ebook",
            "A good book",
            "order:7",
            None,
            "XTR",
            [types.LabeledPrice("Ebook", 50)],
        )

    @bot.pre_checkout_query_handler(func=lambda query: True)
    def check(query):
        assert query.invoice_payload == "order:7" and query.total_amount == 50
        bot.answer_pre_checkout_query(query.id, ok=True)

    @bot.message_handler(content_types=["successful_payment"])
    def thanks(message):
        paid.append(message.successful_payment)
        bot.send_message(message.chat.id, "Thank you!")

    poller = threading.Thread(
        target=bot.infinity_polling, kwargs={"timeout": 2, "long_polling_timeout": 1}
    )
    poller.start()
    try:
        tg.wait_polling()
        ann = tg.user(USER_ID, first_name="Ann")
        ann.send("/buy")
        ann.wait()
        result = ann.pay()
        assert ann.wait()[0]["text"] == "Thank you!"
        assert result["pre_checkout"]["ok"] is True
        charge_id = result["successful_payment"]["telegram_payment_charge_id"]
        assert [p.telegram_payment_charge_id for p in paid] == [charge_id]
        assert paid[0].provider_payment_charge_id == "" and paid[0].invoice_payload == "order:7"
        assert bot.refund_star_payment(USER_ID, charge_id) is True
        with pytest.raises(telebot.apihelper.ApiTelegramException) as refused:
            bot.refund_star_payment(USER_ID, charge_id)
        assert refused.value.description == "Bad Request: CHARGE_ALREADY_REFUNDED"
        tg.wait_idle()
    finally:
        bot.stop_polling()
        poller.join(5)
    assert tg.payments()[0]["refunded"] is True


def test_telebot_parses_the_payment_updates(tg, ann):
    invoice(tg, need_name=True, need_email=True)
    with answering(tg) as got:
        ann.pay()
    query, payment = (types.Update.de_json(update) for update in got)
    assert query.pre_checkout_query.order_info.name == "Ann Lee"
    assert query.pre_checkout_query.order_info.email == "user42@example.com"
    assert payment.message.content_type == "successful_payment"
    assert payment.message.successful_payment.total_amount == 50
    assert payment.message.successful_payment.order_info.name == "Ann Lee"


def test_pay_ok(tg, ann):
    sent = invoice(tg, **RUB)
    with answering(tg) as got:
        result = ann.pay()
    assert _kinds(got) == ["pre_checkout_query", "message"]
    query = got[0]["pre_checkout_query"]
    assert query == {
        "id": result["pre_checkout"]["id"],
        "from": query["from"],
        "currency": "RUB",
        "total_amount": 80000,
        "invoice_payload": "order:7",
    }
    assert result == {
        "message_id": sent["message_id"],
        "pre_checkout": {"id": query["id"], "ok": True, "error_message": None},
        "successful_payment": {
            "currency": "RUB",
            "total_amount": 80000,
            "invoice_payload": "order:7",
            "telegram_payment_charge_id": "tg_charge_1",
            "provider_payment_charge_id": "provider_charge_1",
        },
        "update_id": got[1]["update_id"],
    }
    message = got[1]["message"]
    assert message["successful_payment"] == result["successful_payment"]
    assert message["from"]["id"] == USER_ID and message["chat"]["id"] == USER_ID
    assert [e["action"] for e in ann.transcript()][-3:] == [
        "pre_checkout",
        "answer_pre_checkout",
        "payment",
    ]
    (charge,) = tg.payments()
    assert charge["refunded"] is False and charge["telegram_payment_charge_id"] == "tg_charge_1"
    assert tg.invoices(USER_ID)[0]["paid"] == 1
    assert "successful_payment" in tg.message(USER_ID, message["message_id"])


def test_a_refused_pre_checkout_pays_nothing(tg, ann):
    invoice(tg)
    with answering(tg, ok=False, error_message="Sold out, sorry") as got:
        result = ann.pay()
    assert result["pre_checkout"]["ok"] is False
    assert result["pre_checkout"]["error_message"] == "Sold out, sorry"
    assert result["successful_payment"] is None and result["update_id"] is None
    assert _kinds(got) == ["pre_checkout_query"]
    assert tg.payments() == [] and tg.invoices()[0]["paid"] == 0


def test_the_pre_checkout_deadline():
    with FakeTelegram(precheckout_timeout=0.3) as tg:
        ann = tg.user(USER_ID)
        ann.send("/start")
        drain(tg)
        invoice(tg)
        result = ann.pay()  # nobody answers
        assert result["pre_checkout"] == {
            "id": result["pre_checkout"]["id"],
            "ok": None,
            "error_message": None,
        }
        assert result["successful_payment"] is None and tg.payments() == []
        assert ann.transcript()[-1]["action"] == "payment_failed"
        (update,) = drain(tg)
        late = {"pre_checkout_query_id": update["pre_checkout_query"]["id"], "ok": True}
        assert error_of(tg, "answerPreCheckoutQuery", **late) == TOO_OLD


def test_answer_pre_checkout_query_rules(tg, ann):
    invoice(tg)
    assert error_of(tg, "answerPreCheckoutQuery", pre_checkout_query_id="1", ok=True) == TOO_OLD
    errors: list[tuple[int, str]] = []

    def bot() -> None:
        (update,) = call(tg, "getUpdates", timeout=5)["result"]
        query_id = update["pre_checkout_query"]["id"]
        errors.append(
            error_of(tg, "answerPreCheckoutQuery", pre_checkout_query_id=query_id, ok=False)
        )
        assert call(tg, "answerPreCheckoutQuery", pre_checkout_query_id=query_id, ok=True)["ok"]
        errors.append(
            error_of(tg, "answerPreCheckoutQuery", pre_checkout_query_id=query_id, ok=True)
        )

    thread = threading.Thread(target=bot)
    thread.start()
    assert ann.pay(timeout=5)["pre_checkout"]["ok"] is True
    thread.join()
    assert errors == [(400, 'Bad Request: parameter "error_message" is required'), TOO_OLD]


def test_paying_twice(tg, ann):
    sent = invoice(tg)
    with answering(tg) as got:
        result = ann.pay(twice=True)
    first, second = result["payments"]
    assert first["message_id"] == second["message_id"] == sent["message_id"]
    ids = [p["successful_payment"]["telegram_payment_charge_id"] for p in (first, second)]
    assert ids[0] != ids[1] and all(i.startswith("stx") for i in ids)
    assert _kinds(got) == ["pre_checkout_query", "message"] * 2
    assert [c["telegram_payment_charge_id"] for c in tg.payments()] == ids
    assert tg.invoices()[0]["paid"] == 2
    with pytest.raises(ValueError, match="no unpaid invoice"):
        ann.pay()
    with answering(tg):
        assert ann.pay(sent["message_id"])["successful_payment"] is not None  # a third time


def test_paying_late_skips_the_pre_checkout(tg, ann):
    invoice(tg, **RUB)
    result = ann.pay(skip_pre_checkout=True)
    assert result["pre_checkout"] is None
    assert result["successful_payment"]["provider_payment_charge_id"] == "provider_charge_1"
    assert _kinds(drain(tg)) == ["message"]


def test_pay_needs_an_invoice(tg, ann):
    with pytest.raises(ValueError, match="no unpaid invoice"):
        ann.pay()
    call(tg, "sendMessage", chat_id=USER_ID, text="hi")
    with pytest.raises(ValueError, match="message 2 in chat 42 is not an invoice"):
        ann.pay(2)


def test_excluded_pre_checkout_queries_go_unanswered():
    with FakeTelegram(precheckout_timeout=0.2) as tg:
        ann = tg.user(USER_ID)
        ann.send("/start")
        call(tg, "getUpdates", offset=2, allowed_updates=["message"])
        invoice(tg)
        assert ann.pay()["pre_checkout"]["ok"] is None
        assert drain(tg) == []


# -- redelivered and duplicated updates ------------------------------------------------------


def test_redeliver_and_duplicate_with_get_updates(tg, ann):
    invoice(tg)
    payment = ann.pay(skip_pre_checkout=True)
    update_id = payment["update_id"]
    (first,) = drain(tg)
    assert tg.redeliver(update_id) == first
    ann.send("later")
    served = call(tg, "getUpdates", offset=update_id + 1)["result"]  # past its offset: still there
    assert [u["update_id"] for u in served] == [update_id, update_id + 1]  # in queue order
    assert served[0] == first
    call(tg, "getUpdates", offset=update_id + 2)
    assert tg.pending_updates() == []
    copy = tg.duplicate(update_id)
    assert copy["update_id"] == update_id + 2
    assert copy["message"] == first["message"]
    assert drain(tg) == [copy]
    with pytest.raises(ValueError, match="no update 99 was queued"):
        tg.redeliver(99)
    ann.send("pending")
    with pytest.raises(ValueError, match="still pending"):
        tg.redeliver(update_id + 3)


class _Hook(ThreadingHTTPServer):
    """A webhook that records updates and answers pre-checkout queries in its reply."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.received: list[dict] = []
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _HookHandler(BaseHTTPRequestHandler):
    server: _Hook

    def do_POST(self) -> None:  # noqa: N802
        update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append(update)
        query = update.get("pre_checkout_query")
        answer = (
            json.dumps(
                {
                    "method": "answerPreCheckoutQuery",
                    "pre_checkout_query_id": query["id"],
                    "ok": True,
                }
            ).encode()
            if query
            else b""
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def hook():
    server = _Hook()
    server.thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.thread.join()


def test_pay_redeliver_and_duplicate_through_a_webhook(tg, ann, hook):
    call(tg, "setWebhook", url=hook.url)
    invoice(tg)
    result = ann.pay(timeout=5)
    assert result["pre_checkout"]["ok"] is True  # answered in the webhook's reply
    tg.wait_idle(quiet=0.05)
    assert _kinds(hook.received) == ["pre_checkout_query", "message"]
    update_id = result["update_id"]
    tg.redeliver(update_id)
    tg.duplicate(update_id)
    tg.wait_idle(quiet=0.05)
    assert [u["update_id"] for u in hook.received[2:]] == [update_id, update_id + 1]
    assert hook.received[2] == hook.received[1]
    assert hook.received[3]["message"] == hook.received[1]["message"]


# -- refunds ---------------------------------------------------------------------------------


def test_refunds(tg, ann):
    invoice(tg)
    stars = ann.pay(skip_pre_checkout=True)["successful_payment"]
    invoice(tg, **RUB)
    card = ann.pay(skip_pre_checkout=True)["successful_payment"]
    drain(tg)
    charge_id = stars["telegram_payment_charge_id"]
    not_found = (400, "Bad Request: CHARGE_NOT_FOUND")
    assert (
        error_of(tg, "refundStarPayment", user_id=USER_ID, telegram_payment_charge_id="stxnope")
        == not_found
    )
    assert (
        error_of(tg, "refundStarPayment", user_id=USER_ID + 1, telegram_payment_charge_id=charge_id)
        == not_found
    )
    assert (
        error_of(
            tg,
            "refundStarPayment",
            user_id=USER_ID,
            telegram_payment_charge_id=card["telegram_payment_charge_id"],
        )
        == not_found
    )
    assert error_of(tg, "refundStarPayment", telegram_payment_charge_id=charge_id) == (
        400,
        "Bad Request: invalid user_id specified",
    )
    assert error_of(tg, "refundStarPayment", user_id=USER_ID) == (
        400,
        'Bad Request: parameter "telegram_payment_charge_id" is required',
    )
    assert (
        call(tg, "refundStarPayment", user_id=USER_ID, telegram_payment_charge_id=charge_id)[
            "result"
        ]
        is True
    )
    assert error_of(
        tg, "refundStarPayment", user_id=USER_ID, telegram_payment_charge_id=charge_id
    ) == (400, "Bad Request: CHARGE_ALREADY_REFUNDED")
    (update,) = drain(tg)
    assert update["message"]["refunded_payment"] == {
        "currency": "XTR",
        "total_amount": 50,
        "invoice_payload": "order:7",
        "telegram_payment_charge_id": charge_id,
    }
    parsed = types.Update.de_json(update).message.refunded_payment  # telebot sets no content_type
    assert parsed.telegram_payment_charge_id == charge_id
    assert [c["refunded"] for c in tg.payments()] == [True, False]
    assert ann.transcript(actor="bot")[-1]["action"] == "refund"


# -- over HTTP -------------------------------------------------------------------------------


def test_control_endpoints(tg, ann):
    sent = invoice(tg)
    with answering(tg):
        answer = control(tg, "POST", f"users/{USER_ID}/pay", timeout=5).json()
    assert answer["ok"] and answer["result"]["pre_checkout"]["ok"] is True
    update_id = answer["result"]["update_id"]
    twice = control(
        tg,
        "POST",
        f"users/{USER_ID}/pay",
        message_id=sent["message_id"],
        twice=True,
        skip_pre_checkout=True,
    ).json()["result"]
    assert len(twice["payments"]) == 2 and twice["payments"][0]["pre_checkout"] is None
    payments = control(tg, "GET", "payments").json()["result"]
    assert len(payments) == 3 and {p["currency"] for p in payments} == {"XTR"}
    invoices = requests.get(f"{tg.url}/control/invoices?chat_id={USER_ID}", timeout=5).json()
    assert invoices["result"][0]["paid"] == 3 and invoices["result"][0]["payload"] == "order:7"
    drain(tg)
    again = control(tg, "POST", f"updates/{update_id}/redeliver").json()["result"]
    assert again["update_id"] == update_id
    copy = control(tg, "POST", f"updates/{update_id}/duplicate").json()["result"]
    assert copy["update_id"] > update_id and copy["message"] == again["message"]
    refused = control(tg, "POST", "updates/9999/redeliver")
    assert refused.status_code == 400 and "no update 9999" in refused.json()["error"]
    drain(tg)
    nothing = control(tg, "POST", f"users/{USER_ID}/pay")
    assert nothing.status_code == 400 and "no unpaid invoice" in nothing.json()["error"]
    transcript = control(tg, "GET", f"chats/{USER_ID}/transcript?actor=bot").json()["result"]
    assert transcript[0]["kind"] == "invoice"


def test_reset_forgets_payments(tg, ann):
    invoice(tg)
    ann.pay(skip_pre_checkout=True)
    tg.reset()
    assert tg.payments() == [] and tg.invoices() == []


def test_the_command_line_sets_the_deadline():
    from faketelegram.cli import build_parser

    assert build_parser().parse_args(["--precheckout-timeout", "0.5"]).precheckout_timeout == 0.5
