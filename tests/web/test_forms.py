"""A refused form is shown again inside its page and navigation, with what was typed and each problem beside
its field, at a 4xx status; never raw JSON, never a command-line flag as the hint (web/forms.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from tests.web.test_injection_sweep import api_routes
from totalplace.errors import (
    DocumentRefusedError,
    InvalidInputError,
    PermissionDeniedError,
    RequestInvalidError,
    RowProblem,
)
from totalplace.place import Place
from totalplace.web.app import create_app
from totalplace.web.forms import WEB_HINT, FormProblems, cli_hint, web_hint

Login = Callable[[str], TestClient]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def _main(html: str) -> str:
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def _hints(html: str) -> list[str]:
    """What the page tells the person to do: the error page's "What to do" and a refused form's hint."""
    main = _main(html)
    found = re.findall(r"<strong>What to do:</strong>(.*?)</p>", main, re.S)
    form = re.search(r'<div class="error form-problems".*?</div>', main, re.S)
    return found + ([form.group(0)] if form else [])


# -- the mechanism ---------------------------------------------------------------------------------------------


def test_each_named_problem_goes_beside_its_field() -> None:
    error = RequestInvalidError(
        [{"parameter": "remedy_by", "message": "give a date"}, {"parameter": "plan", "message": "write it"}]
    )
    form = FormProblems.of(error, {"plan": "", "remedy_by": "soon"})
    assert form.fields == {"remedy_by": ("give a date",), "plan": ("write it",)}
    assert form.values == {"plan": "", "remedy_by": "soon"} and not form.general
    assert form.code == "TP108" and form.to_dict()["fields"]["plan"] == ["write it"]


def test_a_document_problem_goes_beside_the_documents_field_with_its_line() -> None:
    error = DocumentRefusedError("framework.yaml", [RowProblem("TP554", "framework.yaml", 3, "", "", "bad")])
    form = FormProblems.of(error, {"framework": "a: ["}, main="framework")
    assert form.fields == {"framework": ("line 3: bad",)}
    keyed = DocumentRefusedError("f.yaml", [RowProblem("TP554", "f.yaml", 2, "outcomes", "", "missing")])
    assert FormProblems.of(keyed, {"framework": ""}, main="framework").fields == {
        "framework": ("outcomes: line 2: missing",)
    }


def test_a_problem_naming_no_field_goes_above_the_form_and_secrets_are_not_typed_back() -> None:
    form = FormProblems.of(
        InvalidInputError("no such thing"), {"password": "hunter2", "name": "x"}, secret={"password"}
    )
    assert form.general == ("no such thing",) and form.fields == {}
    assert form.values == {"password": "", "name": "x"}


def test_a_command_line_hint_becomes_a_web_hint() -> None:
    assert cli_hint("use --method proportional") and cli_hint("run `totalplace pool settle x`")
    assert cli_hint("import them first: totalplace geography import FILE --level lsoa")
    assert not cli_hint("write it as YYYY-MM-DD") and not cli_hint(None) and not cli_hint("a -- b")
    assert web_hint(InvalidInputError("x", hint="give --year 2024-25")) == WEB_HINT
    assert web_hint(InvalidInputError("x", hint="choose a year")) == "choose a year"
    assert web_hint(PermissionDeniedError("x", hint="see --help"), "ask") == "ask"


# -- the forms of the pages ------------------------------------------------------------------------------------


def _refused_page(response: object, status: int) -> str:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert (
        "<nav>" in response.text and 'role="alert"' in response.text
    )  # inside the page, with its navigation
    assert not any(FLAG.search(h) for h in _hints(response.text)), _hints(response.text)
    return _main(response.text)


def test_a_refused_framework_is_shown_again_in_the_editor(client_for: Login) -> None:
    lead = client_for("lead")
    page = lead.get("/outcomes/framework")
    assert page.status_code == 200 and lead.get("/outcomes/framework.json").json()["yaml"] == ""
    typed = "outcomes: [unclosed"
    main = _refused_page(
        lead.post("/outcomes/framework", data={"framework": typed, "csrf_token": csrf_of(page.text)}), 422
    )
    assert 'id="problem-framework"' in main and "line " in main
    assert f">{typed}</textarea>" in main
    missing = lead.post("/outcomes/framework", data={"csrf_token": csrf_of(page.text)})
    assert 'id="problem-framework"' in _refused_page(missing, 422)  # FastAPI's own refusal, in the page too
    as_json = lead.post(
        "/outcomes/framework",
        data={"framework": typed, "csrf_token": csrf_of(page.text)},
        headers={"accept": "application/json"},
    )
    assert as_json.status_code == 422 and as_json.json()["error"]["code"] == "TP114"


def test_the_framework_editor_is_the_leads(client_for: Login) -> None:
    analyst = client_for("analyst")
    assert analyst.get("/outcomes/framework").status_code == 403
    assert analyst.get("/outcomes/framework.json").status_code == 403


def test_a_refused_segmentation_build_keeps_what_was_typed(client_for: Login) -> None:
    lead = client_for("lead")
    page = lead.get("/segments")
    form = {
        "spec": "oac2021",
        "name": "my-areas",
        "levels": "four",
        "seed": "7",
        "csrf_token": csrf_of(page.text),
    }
    main = _refused_page(lead.post("/segments-build", data=form), 422)
    assert 'id="problem-levels"' in main and 'value="four"' in main and 'value="my-areas"' in main
    # Refused by the engine (no census tables): its command-line hint is not shown in the page.
    main = _refused_page(lead.post("/segments-build", data={**form, "levels": "2"}), 422)
    assert "form-problems" in main and "totalplace geography import" not in main


def test_a_refused_password_change_names_the_field_and_echoes_no_password(client_for: Login) -> None:
    lead = client_for("lead")
    page = lead.get("/account")
    token = csrf_of(page.text)
    differ = {
        "current_password": "whatever",
        "new_password": "long enough 1",
        "confirm_password": "other one 2",
    }
    main = _refused_page(lead.post("/account/password", data={**differ, "csrf_token": token}), 422)
    assert 'id="problem-confirm_password"' in main and "long enough 1" not in main and "whatever" not in main
    wrong = {**differ, "confirm_password": "long enough 1"}
    main = _refused_page(lead.post("/account/password", data={**wrong, "csrf_token": token}), 401)
    assert 'id="problem-current_password"' in main


# -- a sweep over every form -----------------------------------------------------------------------------------


def test_no_refused_form_hints_at_the_command_line(web_place: Place, client_for: Login) -> None:
    """Every POST route, sent nonsense by the partnership lead from a browser: any refusal drawn as a page
    tells the person what to do in the browser, never with a command-line flag."""
    lead = client_for("lead")
    token = csrf_of(lead.get("/account").text)
    app = create_app(web_place)
    checked = 0
    for route in api_routes(app.routes):
        if "POST" not in (route.methods or ()) or route.path in (
            "/logout",
            "/login",
            "/account/logout-others",
        ):
            continue
        url = route.path.format(**dict.fromkeys(route.param_convertors, "1"))
        fields = {f.name: "--x" if f.name != "csrf_token" else token for f in route.dependant.body_params}
        files = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")} if not fields else None
        data = fields or {"csrf_token": token, "kind": "spend", "partner": "Council"}
        answer = lead.post(url, data=data, files=files, headers={"accept": "text/html"})
        if answer.status_code >= 400 and answer.headers["content-type"].startswith("text/html"):
            checked += 1
            hints = _hints(answer.text)
            assert not any(FLAG.search(h) for h in hints), f"POST {route.path}: {hints}"
    assert checked > 10


@pytest.mark.parametrize("path", ["/outcomes/letters/1", "/outcomes/letters/1.json"])
def test_a_letter_page_that_does_not_exist_is_a_404(client_for: Login, path: str) -> None:
    assert client_for("lead").get(path).status_code == 404


# -- what each role is shown -----------------------------------------------------------------------------------


def _nav(html: str) -> str:
    return html.split("<nav>", 1)[1].split("</nav>", 1)[0]


def test_the_navigation_shows_only_what_the_role_can_use(client_for: Login) -> None:
    lead, finance, auditor, analyst = (client_for(u) for u in ("lead", "finance", "auditor", "analyst"))
    assert all(f'href="{p}"' in _nav(lead.get("/").text) for p in ("/audit", "/datasets/upload", "/pools"))
    finance_nav = _nav(finance.get("/").text)
    assert 'href="/audit"' not in finance_nav and 'href="/datasets/upload"' in finance_nav
    auditor_nav = _nav(auditor.get("/").text)
    assert 'href="/audit"' in auditor_nav and 'href="/datasets/upload"' not in auditor_nav
    assert 'href="/pools"' not in _nav(analyst.get("/").text)  # an analyst reads no pool


def test_an_error_page_keeps_the_navigation(client_for: Login) -> None:
    denied = client_for("finance").get("/audit")
    assert denied.status_code == 403 and "<nav>" in denied.text and 'href="/spend"' in denied.text


def test_only_the_lead_is_offered_the_framework_and_letters(client_for: Login) -> None:
    assert 'href="/outcomes/framework"' not in client_for("analyst").get("/outcomes").text
    assert "/outcomes/letters/draft" not in client_for("analyst").get("/outcomes/letters").text
    assert "/outcomes/letters/draft" in client_for("lead").get("/outcomes/letters").text


def test_a_form_missing_its_fields_is_not_drawn_for_someone_who_may_not_see_it(
    web_place: Place, client_for: Login
) -> None:
    nobody = TestClient(create_app(web_place))
    assert nobody.post("/outcomes/framework", data={}, follow_redirects=False).status_code == 422
    analyst = client_for("analyst")
    token = csrf_of(analyst.get("/account").text)
    refused = analyst.post("/outcomes/framework", data={"csrf_token": token})
    assert refused.status_code == 422 and "<textarea" not in refused.text  # the error page, not the editor
