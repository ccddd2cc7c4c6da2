"""A real browser on a playground: Debian's Chromium driven by Selenium, the app served by
werkzeug on a free port of 127.0.0.1 (no network: Selenium Manager is told to stay offline)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if not any(shutil.which(name) for name in CHROMIUM):
        return "Chromium is not installed (apt-get install chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve the Flask ``app`` in a thread; yields its base URL."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per poll
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium(width: int = 1280, height: int = 860, downloads: Path | None = None):
    """A headless Chromium (the system's, with its chromedriver)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(name) for name in CHROMIUM if shutil.which(name))
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={width},{height}", "--lang=en-US",
                     "--no-first-run", "--disable-background-networking"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def open_as(driver, url: str, cookie) -> None:
    """Open the playground at ``url`` as the session of ``cookie`` (a test client's).

    A cookie can only be set on a page of its origin, so one is loaded first: a stylesheet,
    never the playground's page, whose script would ask for the chat at once without the
    cookie, and a new session's cookie, answered after ours was set, would replace it."""
    driver.get(url + "/static/playground.css")
    driver.add_cookie({"name": cookie.key, "value": cookie.value})
    driver.get(url)


def wait_for(driver, condition, timeout: float = 10.0):
    """Wait until ``condition(driver)`` is truthy; its value."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page redraws the chat when it changes: an element read meanwhile is gone
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=[StaleElementReferenceException]).until(condition)
