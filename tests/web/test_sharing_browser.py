"""In headless Chromium: an agreement's page is readable whole (nothing wider than the window), and a refused
variation comes back in the page with the text kept and its problem's line. Screenshots are kept in
TOTALPLACE_SCREENSHOTS when set (to look at them), else in the test's folder."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.web.conftest import PASSWORD
from tests.web.test_browser import _free_port, browser  # noqa: F401 - the browser fixture
from tests.web.test_sharing_pages import sharing_place  # noqa: F401 - the place fixture
from totalplace.demo.sharing import DIRECT_CARE, EVALUATION
from totalplace.place import Place
from totalplace.web.app import create_app


@pytest.fixture
def sharing_server(sharing_place: Place) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    config = uvicorn.Config(create_app(sharing_place), host="127.0.0.1", port=port, log_level="warning")
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not serving.started:
        if time.monotonic() > deadline:
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    serving.should_exit = True
    thread.join(timeout=10)


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TOTALPLACE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
def test_an_agreement_reads_whole_and_a_refused_variation_comes_back(
    sharing_server: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(sharing_server + "/login")
    browser.find_element(By.ID, "username").send_keys("dpo")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    browser.find_element(By.LINK_TEXT, "Sharing").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/sharing"))
    assert browser.find_element(By.CSS_SELECTOR, ".badge-review_due").is_displayed()
    browser.save_screenshot(str(_shots(tmp_path) / "sharing-list.png"))

    browser.get(f"{sharing_server}/sharing/{DIRECT_CARE}")
    main = browser.find_element(By.TAG_NAME, "main").text
    for shown in ("Parties", "Legal basis", "Flows and fields", "Retention and DPIA", "Decisions"):
        assert shown in main, shown
    assert len(browser.find_elements(By.CSS_SELECTOR, "#flows tbody tr")) == 12
    assert len(browser.find_elements(By.CSS_SELECTOR, "#parties tbody tr")) == 6
    # Nothing is wider than the window: the whole agreement reads without scrolling sideways.
    wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0
    browser.set_window_size(1280, 4200)
    shot = _shots(tmp_path) / "sharing-agreement.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000  # a page drawn, not a blank one
    browser.set_window_size(1280, 1000)

    browser.get(f"{sharing_server}/sharing/{EVALUATION}")
    text = browser.find_element(By.CSS_SELECTOR, "textarea[name=yaml]").get_attribute("value")
    changed = text.replace("article6: public_task", "article6: duty_of_candour")
    browser.execute_script("document.querySelector('textarea[name=yaml]').value = arguments[0];", changed)
    browser.find_element(By.NAME, "reason").send_keys("a wrong basis")
    browser.find_element(By.CSS_SELECTOR, f"form[action='/sharing/{EVALUATION}/vary#vary'] button").click()
    assert "Your variation was not kept" in browser.find_element(By.CSS_SELECTOR, "main [role=alert]").text
    problem = browser.find_element(By.ID, "problem-yaml").text
    line = changed.splitlines().index("  article6: duty_of_candour") + 1
    assert f"legal.article6: line {line}: duty_of_candour is not a UK GDPR Article 6 basis" in problem
    kept = browser.find_element(By.CSS_SELECTOR, "textarea[name=yaml]").get_attribute("value")
    assert "duty_of_candour" in kept
    browser.save_screenshot(str(_shots(tmp_path) / "sharing-refused.png"))
