"""The playground in a real browser (Chromium with Selenium): what a flow developer sees and
clicks. Skipped, with the reason, where Chromium, chromedriver or selenium is missing."""

from __future__ import annotations

import pytest

from engine.cli import main
from tests.engine.playground import browser
from tests.engine.playground.conftest import MINI_TARGET

if browser.missing():
    pytest.skip(browser.missing(), allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.browser


def css(driver, selector: str):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def bot_texts(driver) -> list[str]:
    return [element.text for element in css(driver, ".msg.bot .text")]


def click_inline(driver, label: str, message: int = -1) -> None:
    """Click ``label`` on the ``message``-th bot message with buttons, then wait for the
    page to draw the answer."""
    revision = driver.find_element(By.TAG_NAME, "body").get_attribute("data-revision")
    boxes = [box for box in css(driver, ".msg.bot") if css(box, ".inline button")]
    button = next(b for b in css(boxes[message], ".inline button") if b.text == label)
    button.click()
    browser.wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "body")
                     .get_attribute("data-revision") != revision)


def click_key(driver, label: str) -> None:
    revision = driver.find_element(By.TAG_NAME, "body").get_attribute("data-revision")
    next(b for b in css(driver, "#keyboard button") if b.text.endswith(label)).click()
    browser.wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "body")
                     .get_attribute("data-revision") != revision)


def opened(driver, url: str):
    driver.get(url)
    browser.wait_for(driver, lambda d: css(d, ".msg.bot .text"))
    return driver


@pytest.fixture(scope="module")
def driver():
    with browser.chromium() as driver:
        yield driver


def test_a_chat_with_the_mini_bot(mini, driver):
    with browser.serve(mini) as url:
        opened(driver, url)
        assert css(driver, ".msg.user .bubble")[0].text == "/start"
        assert bot_texts(driver)[0].startswith("Hello, Guest!")
        assert driver.find_element(By.ID, "state").text == "menu"

        click_key(driver, "Catalog")
        catalog = css(driver, ".msg.bot")[-1]
        message_id = catalog.get_attribute("data-id")
        assert [b.text for b in css(catalog, ".inline button")][:2] == ["Fruit", "Vegetables"]

        click_inline(driver, "Fruit")
        edited = css(driver, ".msg.bot")[-1]
        assert edited.get_attribute("data-id") == message_id  # edited in place
        assert css(edited, ".meta")[0].text == "edited"
        assert '"node": "fruit"' in driver.find_element(By.ID, "params").text

        click_inline(driver, "Citrus")
        photo = browser.wait_for(driver, lambda d: [img for img in css(d, ".photo img")
                                                   if d.execute_script(
                                                       "return arguments[0].complete && "
                                                       "arguments[0].naturalWidth", img)])
        assert photo[0].get_attribute("alt") == "tests/engine/examples/mini/orange.png"
        assert "(url: not fetched)" in css(driver, ".photo.placeholder")[0].text
        footer_id = css(driver, ".msg.bot")[-1].get_attribute("data-id")

        click_inline(driver, "Add to cart", message=-3)
        # #toast is always in the page (hidden): wait for it shown with the answer. The new
        # revision may come from the page's poll, drawn before the press's own answer (and its
        # toast) has arrived
        toast = driver.find_element(By.ID, "toast")
        browser.wait_for(driver, lambda d: toast.is_displayed() and toast.text == "Added to cart")

        click_inline(driver, "Show more")
        ids = [box.get_attribute("data-id") for box in css(driver, ".msg.bot")]
        assert footer_id not in ids  # deleted, and sent again below the new page
        assert bot_texts(driver)[-1] == "Products in Citrus"
        assert driver.find_element(By.ID, "state").text == "products"
        # the graph is fetched apart from the chat: wait for it to mark the new state
        browser.wait_for(driver, lambda d: any("products" in e.text for e in
                                               css(d, "#graph .current, #graph mark")))


def test_the_html_telegram_renders(tiny, driver):
    with browser.serve(tiny) as url:
        opened(driver, url)
        text = css(driver, ".msg.bot .text")[-1]
        for tag, shown in [("b", "Bold"), ("i", "italic"), ("u", "under"), ("s", "struck"),
                           ("code", "code"), ("pre", "pre  block"), ("a", "link"),
                           ("blockquote", "quoted")]:
            assert css(text, tag)[0].get_attribute("textContent") == shown, tag
        assert css(text, "a")[0].get_attribute("href") == "https://example.com/"
        assert "<not a tag>" in text.text
        spoiler = css(text, ".spoiler")[0]
        assert "revealed" not in spoiler.get_attribute("class")
        spoiler.click()
        assert "revealed" in spoiler.get_attribute("class")


def test_reload_on_save_and_the_checker_in_the_page(tiny, tiny_dir, driver):
    with browser.serve(tiny) as url:
        opened(driver, url)
        texts = tiny_dir / "texts" / "en.yaml"
        texts.write_text(texts.read_text(encoding="utf-8").replace(
            "Second screen (en)", "Second screen, saved just now"), encoding="utf-8")
        click_inline(driver, "Next")
        assert bot_texts(driver)[-1] == "Second screen, saved just now"

        bot = tiny_dir / "bot.yaml"
        bot.write_text(bot.read_text(encoding="utf-8").replace("dest: second", "dest: third"),
                       encoding="utf-8")
        problems = browser.wait_for(driver, lambda d: d.find_element(By.ID, "problems")
                                    if d.find_element(By.ID, "problems").is_displayed() else None)
        assert "bot.yaml:30:5: transitions[2]: unknown destination state 'third'" in problems.text
        click_inline(driver, "Back")  # the old flows run on
        assert driver.find_element(By.ID, "state").text == "home"


def test_language_restart_and_save_as_script(mini, driver, tmp_path, capsys):
    with browser.serve(mini) as url:
        opened(driver, url)
        first_user = driver.find_element(By.ID, "bot-status").text
        from selenium.webdriver.support.ui import Select

        Select(driver.find_element(By.ID, "lang")).select_by_value("ru")
        browser.wait_for(driver, lambda d: bot_texts(d) and bot_texts(d)[0].startswith("Привет"))
        assert driver.find_element(By.ID, "bot-status").text.endswith("· ru")
        assert driver.find_element(By.ID, "bot-status").text != first_user
        click_key(driver, "Каталог")
        click_inline(driver, "Fruit")
        driver.find_element(By.ID, "input").send_keys("привет\n")
        browser.wait_for(driver, lambda d: css(d, ".msg.user .bubble")[-1].text == "привет")

        assert driver.find_element(By.ID, "save").get_attribute("download") is not None
        script = driver.execute_async_script(
            "const done = arguments[0];"
            "fetch(document.getElementById('save').href).then(r => r.text()).then(done);")
        path = tmp_path / "walk.yaml"
        path.write_text(script, encoding="utf-8")
        capsys.readouterr()
        assert main(["replay", str(path), "--target", MINI_TARGET]) == 0
        assert f"PASS {path} (4 steps" in capsys.readouterr().out

        driver.find_element(By.ID, "restart").click()
        browser.wait_for(driver, lambda d: len(css(d, ".msg")) == 2)
        assert driver.find_element(By.ID, "state").text == "menu"


def test_what_is_typed_while_the_bot_answers_is_sent_after_it(tiny, driver):
    """A message typed (or a button pressed) while a request is in flight waits its turn,
    the header says so, and both arrive in order: nothing typed is dropped."""
    with browser.serve(tiny) as url:
        opened(driver, url)
        body = driver.find_element(By.TAG_NAME, "body")
        tiny.playground.lock.acquire()  # the bot is slow: the first request waits for it
        try:
            driver.find_element(By.ID, "input").send_keys("first\n")
            browser.wait_for(driver, lambda d: "busy" in body.get_attribute("class"))
            driver.find_element(By.ID, "input").send_keys("second\n")
            browser.wait_for(driver, lambda d: body.get_attribute("data-waiting") == "1")
            assert driver.find_element(By.ID, "bot-status").text.endswith("· 1 waiting")
        finally:
            tiny.playground.lock.release()
        browser.wait_for(driver, lambda d: [b.text for b in css(d, ".msg.user .bubble")][-2:]
                         == ["first", "second"])
        browser.wait_for(driver, lambda d: body.get_attribute("data-waiting") == "0")
        assert "waiting" not in driver.find_element(By.ID, "bot-status").text
