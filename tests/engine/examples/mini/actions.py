"""The example bot's Python side: a static catalog and a cart kept in the conversation."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from engine import Invalid, UserError, action, condition, data_source, validator

TREE = {
    "": ["fruit", "veg", "drinks", "bakery", "dairy"],
    "fruit": ["citrus", "berries"],
}
NAMES = {"fruit": "Fruit", "veg": "Vegetables", "drinks": "Drinks", "bakery": "Bakery",
         "dairy": "Dairy", "citrus": "Citrus", "berries": "Berries"}
PRODUCTS = {
    "p1": {"id": "p1", "name": "Orange <big>", "node": "citrus", "stock": 2, "price": 120,
           "image": "tests/engine/examples/mini/orange.png"},
    "p2": {"id": "p2", "name": "Lemon", "node": "citrus", "stock": 0, "price": 80,
           "image": "https://example.com/lemon.png"},
    "p3": {"id": "p3", "name": "Lime", "node": "citrus", "stock": 5, "price": 90, "image": ""},
    "p4": {"id": "p4", "name": "Bread", "node": "bakery", "stock": 9, "price": 50, "image": ""},
}
FAILURES = {"place": False}
# the end-to-end replay's hook runs in another process than the bot: a file carries the flag
FAIL_FILE = Path(os.environ.get("MINI_FAIL_FILE") or Path(tempfile.gettempdir()) / "mini-fail")


@data_source("catalog.node")
def node(ctx):
    key = ctx.params.get("node") or ""
    return {"id": key, "name": NAMES.get(key, "")}


@data_source("catalog.children", key_length=8)
def children(ctx):
    return [{"id": key, "name": NAMES[key]} for key in TREE.get(ctx.params.get("node") or "", [])]


@condition("catalog.has_children")
def has_children(ctx):
    return bool(TREE.get(ctx.args.get("node")))


@data_source("catalog.products", key_length=4)
def products(ctx):
    return [p for p in PRODUCTS.values() if p["node"] == ctx.params.get("node")]


@action("cart.add")
def add(ctx):
    product = PRODUCTS[ctx.args["product"]]
    cart = dict(ctx.data.get("cart", {}))
    if cart.get(product["id"], 0) >= product["stock"]:
        raise UserError("cart.no_more", name=product["name"])
    cart[product["id"]] = cart.get(product["id"], 0) + 1
    ctx.data["cart"] = cart


@action("cart.remove")
def remove(ctx):
    cart = dict(ctx.data.get("cart", {}))
    pid = ctx.args["product"]
    cart[pid] = cart.get(pid, 0) - 1
    if cart[pid] <= 0:
        del cart[pid]
        ctx.notify("cart.removed", name=PRODUCTS[pid]["name"])
    ctx.data["cart"] = cart


@action("cart.clear")
def clear(ctx):
    ctx.data["cart"] = {}


@data_source("cart.lines", key_length=4)
def lines(ctx):
    return [{"id": pid, "name": PRODUCTS[pid]["name"], "quantity": q}
            for pid, q in ctx.data.get("cart", {}).items()]


@data_source("cart.summary")
def summary(ctx):
    cart = ctx.data.get("cart", {})
    return {"count": sum(cart.values()),
            "total": sum(PRODUCTS[p]["price"] * q for p, q in cart.items())}


@condition("cart.has_items")
def has_items(ctx):
    return bool(ctx.data.get("cart"))


@validator("email")
def email(ctx, value):
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", value.strip()):
        raise Invalid()
    return value.strip().lower()


@validator("phone")
def phone(ctx, value):
    digits = re.sub(r"\D", "", value)
    if len(digits) != 11:
        raise Invalid("checkout.bad_phone", digits=len(digits))
    return "+" + digits


@action("checkout.place")
def place(ctx):
    if FAILURES["place"] or FAIL_FILE.exists():
        FAILURES["place"] = False  # fails once
        FAIL_FILE.unlink(missing_ok=True)
        raise RuntimeError("the order service is down")
    ctx.data["order"] = 1000 + sum(ctx.data.get("cart", {}).values())
    ctx.data["receipt"] = ""


@action("greet")
def greet(ctx):
    ctx.data["greeted"] = ctx.data.get("greeted", 0) + 1
