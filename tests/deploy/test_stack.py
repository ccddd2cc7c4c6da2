"""The production path end to end, on loopback: the fake Telegram server delivers webhooks
through nginx (the shipped routes) to gunicorn serving ``run_bot:app`` with two workers, the
API is called through the same nginx, and everything shares one MongoDB-wire server.
CI runs it against FerretDB (``.ci/run``); it needs nginx and ``MONGO_URI=mongodb://...``."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.stack import (
    API_TOKEN,
    MONGO_SKIP,
    ROOT,
    WEBHOOK_SECRET,
    real_server_configured,
    request,
)

pytestmark = pytest.mark.e2e
if not real_server_configured():  # one line in the summary, not one per test
    pytest.skip(MONGO_SKIP, allow_module_level=True)


def fresh(stack) -> None:
    """Empty database (indexes kept) with the demo catalog; the fake forgets its users."""
    import mongoengine

    import models
    from models import demo

    models.connect(stack.uri)  # (an in-process replay connects the test to mongomock)
    stack.fake.reset()
    database = mongoengine.get_db()
    for name in database.list_collection_names():
        database[name].delete_many({})
    demo.load()


def conversation(user_id: int) -> dict | None:
    import mongoengine

    return mongoengine.get_db()["conversations"].find_one({"_id": user_id})


def bot_actions(stack, user_id: int) -> list[dict]:
    return stack.fake.transcript(user_id, actor="bot")


def at_once(calls) -> list:
    """Run the calls together, one thread each, released by a barrier; their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_both_apps_are_healthy_through_nginx(stack):
    status, headers, body = request(stack.port, "GET", "/healthz/bot")
    assert status == 200, body
    health = json.loads(body)
    assert health["status"] == "ok" and health["states"] > 0
    status, _, body = request(stack.port, "GET", "/healthz/api")
    assert (status, json.loads(body)["status"]) == (200, "ok")
    assert len(stack.workers("run_bot:app")) == 2, stack.logs()


def test_set_webhook_registered_the_secret_path_updates_and_commands(stack):
    info = stack.fake.webhook_info()
    assert info["url"] == f"http://127.0.0.1:{stack.port}{stack.webhook_url_path()}"
    assert sorted(info["allowed_updates"]) == ["callback_query", "message", "pre_checkout_query"]
    assert info["max_connections"] == 8
    # in webhook mode nothing else registers the command menu
    assert {c["command"] for c in stack.fake.commands()} >= {"start", "help", "cart"}


def test_scripted_conversations_complete_through_nginx_and_two_workers(stack):
    """Every shop script, replayed through the webhook path, passes and takes the very
    transitions it takes in-process (docs/testing.md holds the scripts at full coverage)."""
    from engine.replay.runner import Runner
    from engine.replay.script import find_scripts, load_script
    from engine.replay.webhook import WebhookEndToEnd

    scripts = [load_script(path)
               for path in find_scripts([str(ROOT / "tests" / "conversations")])]
    # a script with settings of its own (`env:`, e.g. payments switched on) needs a bot
    # started with them: tests/e2e restarts the bot per script's settings; this stack runs
    # the one gunicorn bot the deployment runs, with the deployment's settings
    assert any(script.env for script in scripts)
    scripts = [script for script in scripts if not script.env]
    assert scripts
    in_process = Runner("flows.replay:target")
    for script in scripts:
        in_process.run(script)
    session = WebhookEndToEnd("flows.replay:target", stack.fake, uri=stack.uri,
                              coverage_file=stack.coverage_file)
    stack.fake.reset()
    stack.coverage_file.unlink(missing_ok=True)
    runner = session.runner()
    # a deployment sends notifications from `run_bot.py worker` (tgshop-worker.service)
    # beside the webhook: its outbox worker, here a thread of this process
    import settings
    from engine.run.broadcasts import build_outbox_worker
    from flows.shop import shop

    outbox = build_outbox_worker(shop, settings.load(stack.bot_env, dotenv=False)).start()
    failures = []
    try:
        for script in scripts:
            failures += runner.run(script).failures
    finally:
        outbox.stop()
        session.close()
    assert not failures, "\n".join(failures) + "\n" + stack.logs()

    def taken(coverage):
        return {name for name, count in coverage.transitions.items() if count}

    through_nginx = session.coverage()
    assert taken(through_nginx) == taken(in_process.coverage), through_nginx.report()
    assert through_nginx.percent > 0
    assert not stack.fake.webhook_info().get("last_error_message"), stack.fake.webhook_info()


def test_api_through_nginx(stack):
    fresh(stack)
    status, headers, body = request(stack.port, "GET", "/api/v1/categories?page_size=50",
                                    headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"  # JSON is compressed by nginx
    status, _, body = request(stack.port, "GET", "/api/v1/categories?page_size=50")
    names = {item["slug"] for item in json.loads(body)["items"]}
    assert {"electronics", "classics"} <= names
    status, _, body = request(stack.port, "GET", "/api/v1/products?page_size=5")
    assert status == 200 and json.loads(body)["items"]
    # personal data: the bearer token passes through nginx
    assert request(stack.port, "GET", "/api/v1/users")[0] == 401
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    assert request(stack.port, "GET", "/api/v1/users", headers=auth)[0] == 200
    # security headers on every answer, errors too; nginx's version hidden
    for path, expected in (("/api/v1/categories", 200), ("/api/v1/nothing", 404),
                           ("/elsewhere", 404)):
        status, headers, _ = request(stack.port, "GET", path)
        assert status == expected, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["server"] == "nginx"
    # the docs page runs its own inline script
    status, headers, _ = request(stack.port, "GET", "/api/v1/docs")
    assert status == 200 and "script-src 'unsafe-inline'" in headers["content-security-policy"]
    assert request(stack.port, "GET", "/api/v1/openapi.json")[0] == 200


def test_webhook_refuses_what_telegram_would_not_send(stack):
    fresh(stack)
    update = {"update_id": 990001, "message": {
        "message_id": 1, "date": 1700000000, "text": "/start",
        "from": {"id": 703, "is_bot": False, "first_name": "Eve"},
        "chat": {"id": 703, "type": "private", "first_name": "Eve"}}}
    assert stack.post_update(update, secret=None) == 403
    assert stack.post_update(update, secret="wrong") == 403
    assert stack.post_update(update, path="/telegram/" + "0" * 32) == 404
    status, headers, _ = request(stack.port, "GET", stack.webhook_url_path())
    assert status == 403 and headers["x-content-type-options"] == "nosniff"
    too_big = b'{"update_id": 1, "pad": "' + b"x" * (2 << 20) + b'"}'
    status, _, _ = request(stack.port, "POST", stack.webhook_url_path(), too_big,
                           {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                            "Content-Type": "application/json"})
    assert status == 413
    assert conversation(703) is None  # nothing of it was processed


def test_a_redelivered_update_is_processed_once(stack):
    fresh(stack)
    ann = stack.fake.user(701, first_name="Ann", language_code="en")
    update = ann.send("/start")
    stack.fake.wait_idle(timeout=20)
    done = bot_actions(stack, 701)
    assert done, stack.logs()
    version = conversation(701)["v"]
    # Telegram sends an update again when it saw no 2xx in time: here once more at once
    # from four connections, then once more later; every copy is acknowledged, none redone
    assert at_once([lambda: stack.post_update(update)] * 4) == [200] * 4
    assert stack.post_update(update) == 200
    stack.fake.wait_idle(timeout=20)
    assert bot_actions(stack, 701) == done
    assert conversation(701)["v"] == version
    # the same content under a new update_id is a new update
    assert stack.post_update({**update, "update_id": update["update_id"] + 100000}) == 200
    stack.fake.wait_idle(timeout=20)
    assert len(bot_actions(stack, 701)) > len(done)


def test_concurrent_clicks_of_one_user_across_workers_each_count_once(stack):
    """12 "+" clicks arrive at once on both workers, each twice; then Telegram redelivers
    them all again. The cart line grows by exactly 12, and each click is answered."""
    import models

    fresh(stack)
    user_id, clicks = 702, 12
    bob = stack.fake.user(user_id, first_name="Bob", language_code="en")
    product = models.Product.objects(stock__gt=0).first()
    product.update(set__stock=100)
    product.reload()
    bob.send("/start")
    stack.fake.wait_idle(timeout=20)
    models.Cart.for_user(user_id).add(product, 1)
    bob.press("🛒 Cart")
    stack.fake.wait_idle(timeout=20)
    token = stack.fake.token
    # hold Telegram's deliveries while the clicks queue up, then deliver them ourselves
    assert request(stack.fake.port, "POST", f"/bot{token}/deleteWebhook")[0] == 200
    updates = [bob.click("➕") for _ in range(clicks)]
    assert all(u and "callback_query" in u for u in updates)
    copies = [u for u in updates for _ in range(2)]
    random.Random(8).shuffle(copies)
    statuses = at_once([lambda u=u: stack.post_update(u) for u in copies])
    assert statuses == [200] * len(copies), stack.logs()
    assert models.Cart.for_user(user_id).quantity(product) == 1 + clicks, stack.logs()
    # back to Telegram: it delivers the queued clicks again, which were all seen already
    stack.set_webhook()
    stack.fake.wait_idle(timeout=30)
    assert not stack.fake.pending_updates()
    assert models.Cart.for_user(user_id).quantity(product) == 1 + clicks
    assert stack.fake.unanswered_callbacks() == []
    assert conversation(user_id)["lease"] is None


ADMIN_EMAIL, ADMIN_PASSWORD = "boss@example.com", "correct horse battery"


def admin_account() -> None:
    from api.admin import StaffAccount

    StaffAccount.create(ADMIN_EMAIL, ADMIN_PASSWORD, role="admin")


def test_the_admin_through_nginx(stack):
    """nginx routes /admin/ to the API's app (docs/admin.md): the login page and the static
    files of Flask-Admin its pages load, a login (the session cookie and the CSRF token pass
    through nginx) and the dashboard; bodies past the API's 1 MiB reach it (pictures, CSV)."""
    import re
    from http.cookies import SimpleCookie

    fresh(stack)
    admin_account()
    status, headers, _ = request(stack.port, "GET", "/admin/")
    assert status == 302 and headers["location"].startswith("/admin/login/"), stack.logs()
    status, headers, body = request(stack.port, "GET", "/admin/login/")
    assert status == 200, stack.logs()
    assert headers["x-frame-options"] == "DENY" and headers["server"] == "nginx"
    page = body.decode()
    assert 'id="login-form"' in page
    assets = set(re.findall(r'(?:src|href)="(/admin/static/[^"?]+)', page))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in sorted(assets):
        status, asset_headers, content = request(stack.port, "GET", asset)
        assert status == 200 and content, asset
        kind = "text/css" if asset.endswith(".css") else "javascript"
        assert kind in asset_headers["content-type"], (asset, asset_headers["content-type"])

    cookie = SimpleCookie(headers["set-cookie"])
    session = "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items())
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = f"email={ADMIN_EMAIL}&password={ADMIN_PASSWORD}&csrf_token={token}".replace(
        "@", "%40").replace(" ", "+")
    status, headers, _ = request(stack.port, "POST", "/admin/login/", form.encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": session})
    assert status == 302, stack.logs()
    cookie = SimpleCookie(headers["set-cookie"])
    session = "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items())
    status, _, body = request(stack.port, "GET", "/admin/", headers={"Cookie": session})
    assert status == 200 and b'id="dashboard"' in body and ADMIN_EMAIL.encode() in body

    # a CSV file or a picture over 1 MiB (the API's limit) is the admin's to judge, not nginx's
    big = b"x" * (2 << 20)
    status, _, _ = request(stack.port, "POST", "/admin/product/import/", big,
                           {"Content-Type": "application/octet-stream", "Cookie": session})
    assert status != 413
    status, _, _ = request(stack.port, "POST", "/api/v1/media", big,
                           {"Content-Type": "application/octet-stream"})
    assert status == 413  # the API's own location keeps its 1 MiB


def test_the_admin_pages_run_in_a_browser_through_nginx(stack):
    """The security headers nginx adds to every answer must let the admin's pages load their
    stylesheets and scripts (its own and Flask-Admin's, inline ones too) and make their calls:
    a page blocked by the Content-Security-Policy looks and acts broken, with no error from
    either server. Chromium logs in through nginx and reports each violation."""
    from tests.engine.playground import browser

    if browser.missing():
        pytest.skip(browser.missing())
    from selenium.webdriver.common.by import By

    fresh(stack)
    admin_account()
    base = f"http://127.0.0.1:{stack.port}"
    with browser.chromium() as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.cspViolations = [];"
            "document.addEventListener('securitypolicyviolation', function (e) {"
            "  window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")})

        def violations():
            return driver.execute_script("return window.cspViolations")

        driver.get(base + "/admin/login/")
        browser.wait_for(driver, lambda d: d.execute_script(
            "return document.readyState === 'complete'"), timeout=30)
        assert violations() == []
        assert driver.execute_script("return typeof window.jQuery") == "function"
        driver.find_element(By.ID, "email").send_keys(ADMIN_EMAIL)
        driver.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
        driver.find_element(By.ID, "login").click()
        browser.wait_for(driver, lambda d: d.find_elements(By.ID, "account"), timeout=30)
        # the dashboard is drawn by Bootstrap's stylesheet and the admin's inline style
        # (shop_admin/base.html)
        assert driver.execute_script(
            "return getComputedStyle(document.querySelector('.navbar')).display") == "flex"
        assert driver.execute_script(
            "var p = document.createElement('p'); p.className = 'totals';"
            "document.body.appendChild(p); return getComputedStyle(p).fontWeight") == "700"
        for path in ("/admin/", "/admin/product/", "/admin/order/", "/admin/news/new/"):
            driver.get(base + path)
            browser.wait_for(driver, lambda d: d.execute_script(
                "return document.readyState === 'complete'"), timeout=30)
            assert violations() == [], path
            failed = driver.execute_script(
                "return performance.getEntriesByType('resource')"
                ".filter(function (r) { return r.responseStatus >= 400; })"
                ".map(function (r) { return r.responseStatus + ' ' + r.name; })")
            assert failed == [], path  # none refused (nginx's rate limit: 429)
