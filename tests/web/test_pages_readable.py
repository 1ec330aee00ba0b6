"""Pages a person is happy to read: the home page tells what the place has (not "not in this release"),
money stays on one line, and in real headless Chromium the home page fits a laptop (1280 px) and a phone
(390 px), its header's links wrapping rather than running off the screen, and no page scrolls sideways on
the phone (a wide table scrolls inside its own box)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD
from tests.web.test_browser import browser, server  # noqa: F401  (the fixtures, shared)
from totalplace.place import Place

Login = Callable[[str], TestClient]
CSS = Path(__file__).parents[2] / "totalplace" / "web" / "static" / "totalplace.css"


def test_the_home_page_shows_every_engine_and_what_it_has_produced(
    web_place: Place, client_for: Login
) -> None:
    lead = client_for("lead")
    page = lead.get("/")
    assert page.status_code == 200 and "not in this release" not in page.text
    engines = lead.get("/index.json").json()["engines"]
    assert [e["link"] for e in engines] == [
        "/spend",
        "/segments",
        "/estate",
        "/cba",
        "/pools",
        "/outcomes/cohort",
        "/outcomes",
    ]
    assert all(e["installed"] for e in engines)
    spend = engines[0]
    assert spend["produced"] == "the spending map of 1 spend batch" and spend["input_batches"] == 1
    assert next(e for e in engines if e["link"] == "/segments")["produced"] is None  # nothing yet
    assert 'href="/spend">the spending map of 1 spend batch</a>' in page.text
    assert "nothing yet" in page.text


def test_money_is_kept_on_one_line(web_place: Place, client_for: Login) -> None:
    spend = client_for("lead").get("/spend").text
    assert '<span class="money">£' in spend  # every amount the money filter writes
    css = CSS.read_text(encoding="utf-8")
    assert ".money, td.num, th.num { white-space: nowrap; }" in css


def _fits(driver: Any, width: int) -> dict[str, Any]:
    """Lay the page out ``width`` CSS px wide (as a phone does when ``width`` is small) and measure it."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500},
    )
    measured: dict[str, Any] = driver.execute_script(
        "const links = [...document.querySelectorAll('header nav a')];"
        "return {page: document.documentElement.scrollWidth,"
        " header: document.querySelector('header.top').scrollWidth,"
        " rows: new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size,"
        " right: Math.max(...links.map(a => a.getBoundingClientRect().right)),"
        " flow: document.querySelector('table.flow').getBoundingClientRect().right,"
        " card: document.querySelector('table.flow').closest('.card').getBoundingClientRect().right};"
    )
    return measured


@pytest.mark.browser
@pytest.mark.slow
def test_the_home_page_fits_a_laptop_and_a_phone(server: str, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/login")
    browser.find_element(By.ID, "username").send_keys("lead")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    browser.get(server + "/")
    for width in (1280, 390):
        seen = _fits(browser, width)
        browser.save_screenshot(str(tmp_path / f"home-{width}.png"))
        assert seen["page"] <= width, f"the page scrolls sideways at {width} px: {seen}"
        assert seen["header"] <= width and seen["right"] <= width, (
            f"the header runs off at {width} px: {seen}"
        )
        assert seen["flow"] <= seen["card"] + 0.5, f"the flow table overflows its card at {width} px: {seen}"
    assert seen["rows"] > 1  # on the phone the header's links wrap onto more than one line
    for page in ("/spend", "/spend/lines", "/datasets", "/audit", "/map"):  # wide tables and forms
        browser.get(server + page)
        wide = browser.execute_script("return document.documentElement.scrollWidth")
        browser.save_screenshot(str(tmp_path / f"{page.strip('/').replace('/', '-')}-390.png"))
        assert wide <= 390, f"{page} scrolls sideways on a phone ({wide} px)"
