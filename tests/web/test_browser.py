"""In real headless Chromium: log in, upload a file, see it listed, see a refusal row by row, log out."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import skip_or_fail
from tests.datasets.files import GOOD_ROWS, HEADER
from tests.web.conftest import PASSWORD
from totalplace.place import Place
from totalplace.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(web_place: Place) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(web_place), host="127.0.0.1", port=port, log_level="warning")
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


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        skip_or_fail("browser", "Debian's chromium and chromium-driver are not installed")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.mark.browser
@pytest.mark.slow
def test_login_upload_list_refuse_logout(server: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server + "/datasets")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "username").send_keys("finance")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    # The login page's own address ends in /datasets too (?next=/datasets): wait to be off it.
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    assert browser.current_url.endswith("/datasets")

    good = tmp_path / "june-payments.csv"
    good.write_text(HEADER + "\n" + GOOD_ROWS + "03/06/2024,Browser Ltd,7.00,x\n", encoding="utf-8")
    browser.get(server + "/datasets/upload")
    Select(browser.find_element(By.ID, "kind")).select_by_value("spend")
    Select(browser.find_element(By.ID, "partner")).select_by_visible_text("Council")
    browser.find_element(By.ID, "file").send_keys(str(good))
    browser.find_element(By.ID, "upload").click()
    assert "Imported 4 rows" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    browser.get(server + "/datasets")
    assert "june-payments.csv" in browser.find_element(By.ID, "batches").text

    bad = tmp_path / "bad-payments.csv"
    bad.write_text(HEADER + "\n31/02/2024,A,1.00,x\n01/03/2024,B,lots,y\n", encoding="utf-8")
    browser.get(server + "/datasets/upload")
    Select(browser.find_element(By.ID, "partner")).select_by_visible_text("Council")
    browser.find_element(By.ID, "file").send_keys(str(bad))
    browser.find_element(By.ID, "upload").click()
    problems = browser.find_element(By.ID, "problems").text
    assert "TP532" in problems and "Payment Date" in problems and "TP531" in problems and "lots" in problems
    browser.save_screenshot(str(tmp_path / "refused.png"))

    browser.get(server + "/")
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")
    browser.find_element(By.ID, "logout").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" in b.current_url)
    browser.get(server + "/datasets")
    assert "/login" in browser.current_url


@pytest.mark.browser
@pytest.mark.slow
def test_spending_map_renders_charts_and_drills_down(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/login")
    browser.find_element(By.ID, "username").send_keys("lead")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    browser.get(server + "/spend")
    assert "Place spending map, 2024-25" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-stages svg")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-themes svg")
    browser.find_element(By.CSS_SELECTOR, "#matrix a").click()
    WebDriverWait(browser, 10).until(lambda b: "/spend/lines" in b.current_url)
    assert "Acme Care Ltd" in browser.find_element(By.ID, "lines").text


@pytest.mark.browser
def test_an_intervention_is_added_and_appraised_in_the_browser(server: str, browser: Any) -> None:
    import yaml
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    case = Path(__file__).parents[1] / "engines" / "cba_cases" / "08_multi_agency_split.yaml"
    model = yaml.safe_dump(yaml.safe_load(case.read_text(encoding="utf-8"))["model"], sort_keys=False)
    browser.get(server + "/login")
    browser.find_element(By.ID, "username").send_keys("lead")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    browser.get(server + "/cba-new")
    # the model goes into the textarea at once: typing it key by key takes the browser seconds
    browser.execute_script("document.querySelector('textarea[name=model]').value = arguments[0];", model)
    browser.find_element(By.CSS_SELECTOR, "form[action='/cba-new'] button").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/cba/case-08"))
    for chart in ("waterfall", "by-year", "distribution"):
        assert browser.find_elements(By.CSS_SELECTOR, f"#chart-{chart} svg"), chart
    browser.find_element(By.LINK_TEXT, "In proportion to fiscal benefit").click()
    WebDriverWait(browser, 10).until(lambda b: "method=proportional" in b.current_url)
    assert "Council" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(server + "/cba")
    assert "case-08" in browser.find_element(By.TAG_NAME, "main").text
