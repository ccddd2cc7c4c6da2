"""The screenshots of docs/playground.md, taken in Chromium:

    python -m tests.engine.playground.screenshots [docs/]

docs/playground.png: the shop mid-way through the catalog (product cards with their
pictures, a toast, the state, the graph); docs/playground-problems.png: a flow file saved with
a mistake, the checker's message above the chat that still runs.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.engine.playground import browser
from tests.engine.playground.conftest import TINY, playground_app
from tests.engine.playground.test_browser import click_inline, click_key, css, opened


def shop_app():
    import settings
    from engine.loader import load_flows
    from engine.playground import Playground, create_app, discover
    from flows.shop import FLOWS_DIR

    load_flows(FLOWS_DIR)
    app, target = discover.find(FLOWS_DIR)
    config = settings.load(env={"LANG": "en"})
    return create_app(Playground(app, config), media=[config.media_dir], target=target,
                      setup=discover.default_setup(app, target))


def shop(driver, url: str, out: Path) -> None:
    from selenium.webdriver.support.ui import Select

    opened(driver, url)
    Select(driver.find_element(By.ID, "lang")).select_by_value("en")
    browser.wait_for(driver, lambda d: bot_text(d).startswith("Hello"))
    click_key(driver, "Catalog")
    for label in ("Electronics", "Audio", "Headphones"):
        click_inline(driver, label)
    cards = [box for box in css(driver, ".msg.bot") if css(box, ".photo img")]
    next(b for b in css(cards[1], ".inline button")).click()
    browser.wait_for(driver, lambda d: d.find_element(By.ID, "toast").is_displayed())
    # clicking scrolled the card into view: back to the end of the chat, as a user would be
    driver.execute_script("const c = document.getElementById('chat');"
                          "c.scrollTop = c.scrollHeight - c.clientHeight - 180;")
    time.sleep(0.5)  # pictures decoded, the graph scrolled to the state
    driver.save_screenshot(str(out / "playground.png"))


def bot_text(driver) -> str:
    texts = css(driver, ".msg.bot .text")
    return texts[0].text if texts else ""


def problems(driver, url: str, directory: Path, out: Path) -> None:
    opened(driver, url)
    click_inline(driver, "Next")
    bot = directory / "bot.yaml"
    bot.write_text(bot.read_text(encoding="utf-8").replace("dest: home", "dest: hmoe"),
                   encoding="utf-8")
    browser.wait_for(driver, lambda d: d.find_element(By.ID, "problems").is_displayed())
    time.sleep(0.3)
    driver.save_screenshot(str(out / "playground-problems.png"))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs")
    with browser.chromium(1280, 900) as driver:
        with browser.serve(shop_app()) as url:
            shop(driver, url, out)
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(shutil.copytree(TINY, Path(temporary) / "tiny"))
            with browser.serve(playground_app(directory)) as url:
                problems(driver, url, directory, out)
    print(f"wrote {out / 'playground.png'} and {out / 'playground-problems.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
