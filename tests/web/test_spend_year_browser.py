"""In headless Chromium, under the app's own Content-Security-Policy: choosing another year on the spending map
shows that year (the selector's behaviour is /static/forms.js, not an inline handler the policy would block).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.datasets.files import HEADER, csv_bytes
from tests.web.conftest import PASSWORD
from tests.web.test_browser import browser, server  # noqa: F401 - the fixtures this test uses
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place


@pytest.fixture
def two_years(web_place: Place) -> Place:
    """The web place with spending in 2023-24 as well as 2024-25."""
    rows = "01/05/2023,Earlier Supplier Ltd,500.00,Care\n"
    import_file(
        web_place,
        csv_bytes(HEADER + "\n" + rows),
        ImportRequest("spend", "Council"),
        source_name="old.csv",
        principal=OPERATOR,
    )
    return web_place


@pytest.mark.browser
def test_choosing_a_year_shows_it_under_the_apps_csp(two_years: Place, server: str, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server + "/login")
    browser.find_element(By.ID, "username").send_keys("lead")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10).until(lambda b: "/login" not in b.current_url)
    browser.get(server + "/spend")
    assert "2024-25" in browser.find_element(By.TAG_NAME, "h1").text
    Select(browser.find_element(By.ID, "year")).select_by_visible_text("2023-24")
    WebDriverWait(browser, 10).until(lambda b: "year=2023-24" in b.current_url)
    assert "2023-24" in browser.find_element(By.TAG_NAME, "h1").text
    # The browser refused nothing on the page (a blocked inline script would be logged as an error).
    logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
    assert not [e for e in logs if "Content Security Policy" in e.get("message", "")], logs
