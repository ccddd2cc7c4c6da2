"""Every process that changes an order has the actions its lifecycle names: the API's own
process (which never loads the bot's flows) refunds a paid order without a 500, and a
lifecycle naming an action no module declares stops the start, naming it and its line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.errors import FlowError
from engine.lifecycle import load_checked

ROOT = Path(__file__).resolve().parents[2]

# run in a fresh interpreter: in the test suite flows.payments is imported by other tests,
# which hid that the API's process never imported it (the refund then failed with a 500)
API_REFUND = textwrap.dedent("""
    import sys
    from datetime import timedelta

    import models
    models.connect("mongomock://localhost/refund")
    from models import Cart, Order, Payment, Product, User, demo, quote_cart
    from models.base import utcnow

    demo.load()
    from api import create_app

    assert "flows.payments" not in sys.modules or "imported before" == ""
    client = create_app({"TESTING": True, "API_TOKENS": ["t"]}).test_client()
    User(telegram_id=7, first_name="Anna", language="en").save()
    product = Product.objects(stock__gt=2).order_by("sku").first()
    cart = Cart.for_user(7)
    cart.add(product, 2)
    quote, _ = quote_cart(cart)
    order = Order.place(7, quote, payment={
        "pay_method": "card", "pay_currency": "RUB", "pay_amount": quote.total,
        "pay_until": utcnow() + timedelta(minutes=15), "pay_nonce": "n1"})
    stock = Product.objects.get(id=product.pk).stock  # two units held by the order
    Payment.record(id="charge-1", user_id=7, currency="RUB", total_amount=quote.total,
                   payload=f"{order.number}:n1", order=order.pk, order_number=order.number)
    Payment.mark("charge-1", {}, state="applied")
    Order.objects(id=order.pk).update_one(set__paid_charge="charge-1", set__status="paid")
    response = client.post(f"/api/v1/orders/{order.pk}/transitions",
                           json={"to": "refunded", "note": "Wrong size"},
                           headers={"Authorization": "Bearer t"})
    print(response.status_code, response.get_json().get("status"))
    print("refund", Payment.objects.get(id="charge-1").refund)
    print("stock", Product.objects.get(id=product.pk).stock - stock)
    print("pending", bool(Order.objects.get(id=order.pk).after_pending))
""")


def test_the_api_process_refunds_a_paid_order_with_every_lifecycle_action():
    done = subprocess.run([sys.executable, "-c", API_REFUND], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    # before: "500 None", the refund and the stock left to a bot's housekeeping
    assert lines[-4:] == ["200 refunded", "refund manual", "stock 2", "pending False"], \
        done.stdout + done.stderr[-3000:]


def test_a_lifecycle_naming_an_undeclared_action_fails_at_load(tmp_path):
    flows = tmp_path / "shopflows"
    flows.mkdir()
    (flows / "cycle.yaml").write_text(textwrap.dedent("""\
        lifecycles:
          order:
            initial: new
            final: [done]
            roles: [staff]
            transitions:
              - {trigger: finish, source: new, dest: done, by: staff}
              - {trigger: refund, source: new, dest: done, by: staff,
                 after: payments.refund_nowhere}
        """), encoding="utf-8")
    with pytest.raises(FlowError) as err:
        load_checked(flows / "cycle.yaml")
    assert f"{flows / 'cycle.yaml'}:8:" in str(err.value)
    assert "unknown action 'payments.refund_nowhere'" in str(err.value)


def test_the_app_checks_the_lifecycle_at_start(monkeypatch, db):
    import flows.order_lifecycle as order_lifecycle
    from api import create_app

    def broken():
        raise FlowError([])

    monkeypatch.setattr(order_lifecycle, "lifecycle", broken)
    with pytest.raises(FlowError):
        create_app({"TESTING": True, "API_TOKENS": ["t"]})
