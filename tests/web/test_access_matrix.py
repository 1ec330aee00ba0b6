"""Every route of the app, asked by every demo role, about objects of the user's own partner and of another,
answers as the access policy (governance/policy.py) says it should.

:data:`ROUTES` maps each route (method and path) to what it does: the policy action, and how to build the
:class:`Resource` of each object it may name from the demo (the pools, a partner's batch, a partner's
statement or posting). A route missing from the map fails :func:`test_every_route_declares_its_access`, so
a new route must declare itself. The requests run against one demo place (built once for the module): the
GETs first, then the POSTs without a CSRF token (each must be refused), then the POSTs with the session's
token, whose values are chosen to be refused after the access check (an allowed user gets a refusal of the
input, never a change), ``/logout`` last.

An answer is read as:

- ``allowed``: 2xx or 3xx (not to the login form); ``refused``: another 4xx, the input refused once the
  access check let it through (it counts as allowed);
- ``denied``: TP201 or TP207; ``login``: TP203 or a redirect to the login form; ``csrf``: TP202;
  ``error``: 5xx, always wrong.

Every request asks for JSON (``Accept: application/json``) so a refusal carries its code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from tests.web.test_injection_sweep import api_routes
from totalplace.demo import DEMO_PASSWORD, DEMO_USER, DEMO_USERS, build_demo
from totalplace.engines.people.sharing import agreement_resource
from totalplace.engines.pool.fund import list_funds
from totalplace.governance.policy import PLACE, Resource, allowed, holds_any
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import versions
from totalplace.store.catalog import list_batches
from totalplace.store.partners import list_partners
from totalplace.store.users import RoleGrant
from totalplace.web.app import create_app

ROLES: tuple[str | None, ...] = (DEMO_USER, *(u[0] for u in DEMO_USERS), None)  # None: nobody logged in
COUNCIL, NHS = "Northbridge Council", "Northbridge NHS"
SEGMENTATION, LETTER, INDICATOR, MODEL = "northbridge", "1", "W01", "falls-service"


# -- the demo, as the policy sees it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    """The demo's partners, pools (as policy resources) and spending batches, read from its store."""

    partners: dict[str, int]
    pools: dict[str, Resource]
    spend_batches: dict[int, int]  # partner id -> batch id
    agreements: dict[str, Resource] = field(default_factory=dict)  # sharing agreement -> its resource

    def name_of(self, partner_id: int) -> str:
        return next(n for n, i in self.partners.items() if i == partner_id)


def read_demo(place: Place) -> Demo:
    with place.read() as conn:
        partners = {p.name: p.id for p in list_partners(conn)}
        funds = list_funds(conn)
        batches = {partners[b.partner_name]: b.id for b in list_batches(conn, kind="spend") if b.partner_name}
        sharing = {v.name: agreement_resource(conn, v.name) for v in versions.currents(conn, "sharing")}
    pools = {
        f.name: Resource(
            "pool",
            f.name,
            members=frozenset(partners[p] for p in f.agreement.partners),
            host=partners.get(f.agreement.host),
            open_books=bool(getattr(f.agreement, "open_books", False)),
        )
        for f in funds
    }
    return Demo(partners, pools, batches, sharing)


@dataclass(frozen=True)
class Case:
    """One object a route is asked about: a label, its path parameters, its resource, its form fields."""

    label: str
    path: dict[str, str] = field(default_factory=dict)
    resource: Resource = PLACE
    form: dict[str, str] = field(default_factory=dict)


Objects = Callable[[Demo, Principal | None], list[Case]]


def _own_and_other(demo: Demo, who: Principal | None, among: frozenset[int] | None = None) -> list[int]:
    """The user's own partner and another (for a place-wide user: the Council and the NHS), within
    ``among`` when given."""
    pool = sorted(among) if among is not None else sorted(demo.partners.values())
    own = sorted(who.partner_ids & set(pool)) if who is not None else []
    first = own[0] if own else (demo.partners[COUNCIL] if demo.partners[COUNCIL] in pool else pool[0])
    other = next((p for p in pool if p != first and (who is None or p not in who.partner_ids)), None)
    return [first] if other is None else [first, other]


def place_(kind: str = "place") -> Objects:
    return lambda demo, who: [Case("place", resource=Resource(kind))]


def fixed(kind: str = "place", **path: str) -> Objects:
    return lambda demo, who: [Case("place", dict(path), Resource(kind))]


def people_of(purpose: str) -> Objects:
    """The people linked for ``purpose`` (the demo may have none yet: an allowed user is then refused)."""
    return lambda demo, who: [Case(purpose, resource=Resource("people", purpose, purpose=purpose))]


def person(kind: str, **path: str) -> Objects:
    """A person or household, revealed for direct care."""
    return lambda demo, who: [
        Case(kind, dict(path), Resource("person", next(iter(path.values())), purpose="direct_care"))
    ]


def history_of_model(demo: Demo, who: Principal | None) -> list[Case]:
    """The partnership's model, whose history (and restoring) an address names by kind and name."""
    return [Case(MODEL, {"kind": "model", "name": MODEL}, Resource("model", MODEL))]


def agreements(**extra: str) -> Objects:
    """The demo's sharing agreements, each as the policy sees it: its parties are its members."""
    return lambda demo, who: [Case(n, {"name": n, **extra}, r) for n, r in demo.agreements.items()]


def pools(**extra: str) -> Objects:
    return lambda demo, who: [Case(n, {"name": n, **extra}, r) for n, r in demo.pools.items()]


def pool_in_form(**path: str) -> Objects:
    """The pool a form names (the model's settlement drafted into it)."""
    return lambda demo, who: [Case(n, dict(path), r, {"pool": n}) for n, r in demo.pools.items()]


def batches(demo: Demo, who: Principal | None) -> list[Case]:
    return [
        Case(demo.name_of(p), {"batch_id": str(demo.spend_batches[p])}, Resource("batch", owner=p))
        for p in _own_and_other(demo, who)
    ]


def partner_in_form(demo: Demo, who: Principal | None) -> list[Case]:
    return [
        Case(demo.name_of(p), resource=Resource("batch", owner=p), form={"partner": demo.name_of(p)})
        for p in _own_and_other(demo, who)
    ]


def pool_partner(kind: Literal["statement", "posting"]) -> Objects:
    """A partner's statement of, or posting to, each pool: the user's own partner and another member."""

    def cases(demo: Demo, who: Principal | None) -> list[Case]:
        found = []
        for name, pool in demo.pools.items():
            for p in _own_and_other(demo, who, pool.members):
                partner = demo.name_of(p)
                resource = Resource(kind, name, p, pool.members, pool.host, pool.open_books)
                path = {"name": name, "partner": partner}
                found.append(Case(f"{name}/{partner}", path, resource, {"partner": partner}))
        return found

    return cases


# -- the map of routes -----------------------------------------------------------------------------------------

Who = Literal["policy", "public", "logged-in"]


@dataclass(frozen=True)
class Access:
    """What a route does: its action (``any``: only the early check, whether some role may take it), the
    objects it is asked about, and the request's query and form values."""

    action: str | None = None
    objects: Objects = field(default=lambda demo, who: [Case("place")])
    any: bool = False
    who: Who = "policy"
    query: str = ""
    form: dict[str, str] = field(default_factory=dict)
    upload: bool = False
    csrf_header: bool = False
    also: str | None = None  # a second action that lets the user through as well (either will do)
    holding: str | None = None  # an action some role of the user must hold too (the route's early check)


PUBLIC = Access(who="public")
LOGGED_IN = Access(who="logged-in")
READ = Access("figures.read")
BAD_YAML = "not: [yaml"

ROUTES: dict[tuple[str, str], Access] = {
    # Logging in and the account
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): Access(who="public", form={"username": "no-such-user", "password": "wrong"}),
    ("POST", "/logout"): LOGGED_IN,  # its answer, a redirect to the login form, is its success
    ("GET", "/session.json"): LOGGED_IN,
    ("GET", "/openapi.json"): LOGGED_IN,
    ("GET", "/account"): LOGGED_IN,
    ("POST", "/account/password"): Access(
        who="logged-in", form={"current_password": "x", "new_password": "short", "confirm_password": "x"}
    ),
    ("POST", "/account/logout-others"): LOGGED_IN,
    ("GET", "/"): LOGGED_IN,
    # Datasets
    ("GET", "/datasets"): READ,
    ("GET", "/datasets/{batch_id}"): Access("figures.read", batches),
    ("GET", "/datasets/{batch_id}/export.{fmt}"): Access("batch.download", batches),
    ("GET", "/datasets/upload"): Access("batch.import", any=True),
    ("POST", "/datasets/upload"): Access(
        "batch.import", partner_in_form, form={"kind": "spend"}, upload=True
    ),
    # Records about people and the national data opt-out
    ("GET", "/people/records/upload"): Access("records.import", any=True),
    ("POST", "/people/records/upload"): Access(
        "records.import", partner_in_form, form={"agreement": "no-such-agreement", "source": "x"}, upload=True
    ),
    ("POST", "/people/records/upload.json"): Access(
        "records.import",
        partner_in_form,
        form={"agreement": "no-such-agreement", "source": "x"},
        upload=True,
        csrf_header=True,
    ),
    ("GET", "/people/optout"): Access("optout.manage", any=True),
    ("POST", "/people/optout"): Access("optout.manage", place_(), form={"date": "not-a-date"}, upload=True),
    ("POST", "/datasets/upload.json"): Access(
        "batch.import", partner_in_form, form={"kind": "spend"}, upload=True, csrf_header=True
    ),
    ("GET", "/audit"): Access("audit.read"),
    # Spending
    ("GET", "/spend"): READ,
    ("GET", "/spend/lines"): Access("figures.read", query="supplier=Riverside+Foodbank&limit=5"),
    ("GET", "/spend/lines.{fmt}"): Access("figures.read", query="supplier=Riverside+Foodbank"),
    ("GET", "/spend/coverage"): READ,
    # Pools
    ("GET", "/pools"): Access("pool.read", any=True),
    ("GET", "/pools/{name}"): Access("pool.read", pools()),
    ("GET", "/pools/{name}/ledger"): Access("pool.read", pools()),
    ("GET", "/pools/{name}/settlement"): Access("pool.read", pools()),
    ("GET", "/pools/{name}/statements/{partner}.{fmt}"): Access("statement.read", pool_partner("statement")),
    ("GET", "/pools/{name}/summary.pdf"): Access("pool.read", pools()),
    ("GET", "/pools-new"): Access("pool.create"),
    ("POST", "/pools-new"): Access("pool.create", form={"agreement": BAD_YAML}),
    ("POST", "/pools/{name}/vary"): Access("pool.manage", pools(), form={"variation": BAD_YAML}),
    ("POST", "/pools/{name}/revise"): Access(
        "pool.manage", pools(), form={"agreement": BAD_YAML, "effective": "not-a-date", "reason": "x"}
    ),
    ("POST", "/pools/{name}/post"): Access(
        "pool.post",
        pool_partner("posting"),
        form={"key": "matrix", "kind": "no-such-kind", "day": "not-a-date", "amount": "not-money"},
    ),
    ("POST", "/pools/{name}/settle"): Access(
        "pool.manage", pools(), form={"year": "not-a-year", "confirm": "no"}
    ),
    ("POST", "/pools/{name}/reopen"): Access(
        "pool.manage", pools(), form={"year": "not-a-year", "reason": ""}
    ),
    ("POST", "/pools/{name}/forecast-method"): Access(
        "pool.manage", pools(), form={"method": "no-such-method", "reason": ""}
    ),
    # A partner's forecast and the contributions due: for a pool's partners who may post; each partner's
    # share is checked once the form is read.
    ("POST", "/pools/{name}/forecasts"): Access(
        "pool.read", pools(), holding="pool.post", form={"scheme": "x", "month": "x", "amount": "not-money"}
    ),
    ("POST", "/pools/{name}/contribute"): Access(
        "pool.read", pools(), holding="pool.post", form={"year": "not-a-year"}
    ),
    # Segments, estate, map
    ("GET", "/segments"): READ,
    ("GET", "/segments-diagnose"): Access("figures.read", query="k=2-3&starts=1"),
    ("GET", "/segments/{name}.pdf"): Access("figures.read", fixed(name=SEGMENTATION)),
    ("GET", "/segments/{name}.geojson"): Access("figures.read", fixed(name=SEGMENTATION)),
    ("GET", "/segments/{name}"): Access("figures.read", fixed(name=SEGMENTATION)),
    ("POST", "/segments/{name}/rename"): Access(
        "segmentation.change",
        fixed("segmentation", name=SEGMENTATION),
        form={"code": "no-such-cluster", "new_name": "matrix"},
    ),
    ("POST", "/segments-build"): Access(
        "segmentation.change", place_("segmentation"), form={"name": "matrix", "levels": "x", "seed": "1"}
    ),
    ("POST", "/segments-assign"): Access(
        "segmentation.change", place_("segmentation"), form={"spec": "no-such-spec", "name": "m"}, upload=True
    ),
    ("GET", "/estate"): READ,
    ("GET", "/estate/sites.geojson"): READ,
    ("GET", "/map"): READ,
    ("GET", "/map.geojson"): READ,
    # Outcomes
    ("GET", "/outcomes"): READ,
    ("GET", "/outcomes/indicators/{indicator_id}"): Access("figures.read", fixed(indicator_id=INDICATOR)),
    ("GET", "/outcomes/spine"): READ,
    ("GET", "/outcomes/published/{indicator_id}"): Access("figures.read", fixed(indicator_id=INDICATOR)),
    ("GET", "/outcomes/letters"): READ,
    ("POST", "/outcomes/letters/draft"): Access("framework.change", place_("framework")),
    ("GET", "/outcomes/letters/{letter_id}.pdf"): Access("figures.read", fixed(letter_id=LETTER)),
    ("GET", "/outcomes/letters/{letter_id}"): Access("figures.read", fixed(letter_id=LETTER)),
    ("POST", "/outcomes/letters/{letter_id}/answer"): Access(
        "framework.change", fixed("framework", letter_id=LETTER), form={"plan": " ", "remedy_by": "x"}
    ),
    ("GET", "/outcomes/framework"): Access("framework.change", place_("framework")),
    ("POST", "/outcomes/framework"): Access(
        "framework.change", place_("framework"), form={"framework": BAD_YAML}
    ),
    # Analysing a cohort file stores nothing; counting records into an indicator is the owner's.
    ("GET", "/outcomes/cohort"): Access("batch.import", any=True),
    ("POST", "/outcomes/cohort"): Access("batch.import", any=True, form={"outcomes": "x"}, upload=True),
    ("POST", "/outcomes/cohort.json"): Access(
        "batch.import", any=True, form={"outcomes": "x"}, upload=True, csrf_header=True
    ),
    ("GET", "/outcomes/aggregate"): Access("indicator.count", any=True),
    ("POST", "/outcomes/aggregate"): Access(
        "indicator.count", any=True, form={"indicator": "x", "where": "no-equals-sign"}, upload=True
    ),
    # Cost-benefit analysis
    ("GET", "/cba"): READ,
    ("GET", "/cba-unit-costs"): READ,
    ("POST", "/cba-unit-costs"): Access("library.change", place_("library"), upload=True),
    ("GET", "/cba/{name}"): Access("figures.read", fixed(name=MODEL)),
    ("GET", "/cba/{name}/report.pdf"): Access("figures.read", fixed(name=MODEL)),
    ("GET", "/cba/{name}/report"): Access("figures.read", fixed(name=MODEL)),
    ("GET", "/cba-new"): Access("model.change", any=True),
    ("POST", "/cba-new"): Access("model.change", any=True, form={"model": BAD_YAML}),
    # An object's history: for who reads the audit trail, or may change the object itself.
    # People: linkage into people and households (a purpose the form names that is not one is refused)
    ("GET", "/people"): Access("people.read", any=True),
    ("POST", "/people/train"): Access("people.link", any=True, form={"purpose": "nonsense"}),
    ("POST", "/people/run"): Access("people.link", any=True, form={"purpose": "nonsense", "threshold": "2"}),
    ("GET", "/people-viewer/{purpose}.html"): Access(
        "people.link",
        lambda demo, who: [
            Case("planning", {"purpose": "planning"}, Resource("people", "planning", purpose="planning"))
        ],
        holding="people.read",
    ),
    ("GET", "/history/{kind}/{name}"): Access("audit.read", history_of_model, also="model.change"),
    ("POST", "/history/{kind}/{name}/restore"): Access(
        "model.change", history_of_model, form={"version": "999", "reason": "matrix"}
    ),
    # Information-sharing agreements: read by every role; changed by the lead, or a data protection officer
    # of one of the agreement's parties (the vary form's YAML is refused once the access check passes).
    ("GET", "/sharing"): Access("sharing.read", place_("sharing")),
    ("GET", "/sharing/{name}"): Access("sharing.read", agreements()),
    ("GET", "/sharing-new"): Access("sharing.change", any=True),
    ("POST", "/sharing-new"): Access("sharing.change", any=True, form={"yaml": BAD_YAML}, upload=True),
    ("POST", "/sharing/{name}/vary"): Access(
        "sharing.change", agreements(), form={"yaml": BAD_YAML, "reason": "matrix"}, upload=True
    ),
    # People: the 360° profile and people by area (the engine asks the policy and audits every view)
    ("GET", "/people/person/{person_id}"): Access(
        "people.read",
        lambda demo, who: [
            Case("P0000001", {"person_id": "P0000001"}, Resource("people", "planning", purpose="planning"))
        ],
        query="purpose=planning",
    ),
    ("GET", "/people/household/{household_id}"): Access(
        "people.read",
        lambda demo, who: [
            Case(
                "H0000001",
                {"household_id": "H0000001"},
                Resource("people", "direct_care", purpose="direct_care"),
            )
        ],
        query="purpose=direct_care",
    ),
    ("POST", "/people/person/{person_id}/reveal"): Access(
        "person.reveal", person("person", person_id="P0000001"), form={"reason": " "}
    ),
    ("POST", "/people/household/{household_id}/reveal"): Access(
        "person.reveal", person("household", household_id="H0000001"), form={"reason": ""}
    ),
    ("GET", "/people/areas"): Access("people.read", people_of("planning"), query="purpose=planning"),
    ("POST", "/cba/{name}/draft"): Access(
        "pool.manage", pool_in_form(name=MODEL), form={"method": "no-such-method"}
    ),
}

# Downloads and documents: the format each route is asked for.
FORMATS = {
    "/datasets/{batch_id}/export.{fmt}": "csv",
    "/spend/lines.{fmt}": "csv",
    "/pools/{name}/statements/{partner}.{fmt}": "html",
}


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers (its static files aside)."""
    return sorted((method, route.path) for route in api_routes(app.routes) for method in route.methods or ())


def _html_of(path: str) -> str:
    """The page a ``.json`` twin belongs to."""
    return "/" if path in ("/.json", "/index.json") else path.removesuffix(".json")


def access_of(method: str, path: str) -> Access | None:
    """The route's entry in the map; a GET ``.json`` twin has its page's."""
    found = ROUTES.get((method, path))
    if found is None and method == "GET" and path.endswith(".json"):
        found = ROUTES.get(("GET", _html_of(path)))
    return found


def test_every_route_declares_its_access(sqlite_place: Place) -> None:
    routes = _routes(create_app(sqlite_place))
    missing = [f"{m} {p}" for m, p in routes if access_of(m, p) is None]
    assert not missing, f"routes missing from ROUTES in {__file__}: {missing}"
    stale = sorted(f"{m} {p}" for m, p in ROUTES if (m, p) not in set(routes))
    assert not stale, f"ROUTES names routes the app no longer has: {stale}"


# -- asking ----------------------------------------------------------------------------------------------------

Got = Literal["allowed", "refused", "denied", "login", "csrf", "error"]


def outcome(response: Response, *, logout: bool = False) -> Got:
    """What an answer means (see the module's docstring)."""
    error: dict[str, object] = {}
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        error = body.get("error", {}) if isinstance(body, dict) else {}
    code = str(error.get("code", ""))
    if code == "TP203" or (response.headers.get("location", "").startswith("/login") and not logout):
        return "login"
    # A form shown again to say "not allowed" (HTML at 403, its problem beside the field) is a denial too.
    if code in ("TP201", "TP207") or (not code and response.status_code == 403):
        return "denied"
    # No token, or an empty one (FastAPI reads an empty field as missing): refused before anything ran.
    if code == "TP202" or (code == "TP108" and _names_csrf(error)):
        return "csrf"
    if response.status_code >= 500:
        return "error"
    return "allowed" if response.status_code < 400 else "refused"


def _names_csrf(error: dict[str, object]) -> bool:
    problems = error.get("problems")
    return isinstance(problems, list) and any(
        isinstance(p, dict) and p.get("parameter") == "csrf_token" for p in problems
    )


def expected(access: Access, who: Principal | None, case: Case) -> bool:
    """Whether the policy lets ``who`` through this route for ``case``."""
    if access.who == "public":
        return True
    if who is None:
        return False
    if access.who == "logged-in" or access.action is None:
        return True
    if access.any:
        return holds_any(who, access.action)
    either = access.also is not None and allowed(who, access.also, case.resource)
    if access.holding is not None and not holds_any(who, access.holding):
        return False
    return either or allowed(who, access.action, case.resource)


def agrees(should: bool, got: Got, who: Principal | None, *, with_csrf: bool) -> bool:
    if got == "error":
        return False
    if not with_csrf:
        return got in ("csrf", "denied", "login")
    if should:
        return got in ("allowed", "refused")
    # Nobody logged in holds no token, so a form of theirs may be refused for the token before the login.
    return got in ("login", "csrf") if who is None else got == "denied"


@dataclass(frozen=True)
class Mismatch:
    method: str
    path: str
    case: str
    role: str
    expected: str
    got: str
    status: int

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path} [{self.case}] as {self.role}: expected {self.expected}, "
            f"got {self.got} (HTTP {self.status})"
        )


@dataclass
class Session:
    role: str
    client: TestClient
    principal: Principal | None
    csrf: str


def _login(app: FastAPI, role: str | None) -> Session:
    client = TestClient(app, headers={"accept": "application/json"}, raise_server_exceptions=False)
    page = client.get("/login", headers={"accept": "text/html"}).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    if role is None:  # nobody holds the login form's token, the only one there is before a login
        return Session("nobody", client, None, token)
    answer = client.post(
        "/login",
        data={"username": role, "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    me = client.get("/session.json").json()
    grants = tuple(RoleGrant(**g) for g in me["roles"])
    return Session(role, client, Principal(role, me["is_admin"], grants), me["csrf_token"])


def _url(path: str, case: Case, query: str) -> str:
    params = {"fmt": FORMATS.get(path, "csv"), **case.path}
    url = path.format(**{k: quote(v, safe="") for k, v in params.items()})
    return f"{url}?{query}" if query else url


def _ask(s: Session, method: str, path: str, access: Access, case: Case, *, with_csrf: bool) -> Response:
    url = _url(path, case, access.query)
    answer: Response
    if method == "GET":
        answer = s.client.get(url, follow_redirects=False)
        return answer
    form = {**access.form, **case.form}
    headers = {}
    if with_csrf and access.csrf_header:
        headers["x-csrf-token"] = s.csrf
    elif with_csrf:
        form["csrf_token"] = s.csrf
    if access.upload:
        files = {"file": ("matrix.csv", b"not,a,valid\nfile\n", "text/csv")}
        answer = s.client.post(url, data=form, files=files, headers=headers, follow_redirects=False)
    else:
        answer = s.client.post(url, data=form, headers=headers, follow_redirects=False)
    return answer


def _order(route: tuple[str, str]) -> tuple[int, str]:
    method, path = route
    return (0 if method == "GET" else 2 if path == "/logout" else 1, path)


@dataclass
class Matrix:
    asked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def _run(app: FastAPI, demo: Demo, sessions: list[Session]) -> Matrix:
    matrix = Matrix()
    routes = sorted(_routes(app), key=_order)
    passes = [(r, True) for r in routes if r[0] == "GET"]
    passes += [(r, False) for r in routes if r[0] == "POST"]
    passes += [(r, True) for r in routes if r[0] == "POST"]
    for (method, path), with_csrf in sorted(passes, key=lambda p: (_order(p[0])[0], p[1], p[0][1])):
        access = access_of(method, path)
        assert access is not None
        for s in sessions:
            for case in access.objects(demo, s.principal):
                answer = _ask(s, method, path, access, case, with_csrf=with_csrf)
                matrix.asked += 1
                should = expected(access, s.principal, case)
                got = outcome(answer, logout=path == "/logout" and s.principal is not None)
                if not agrees(should, got, s.principal, with_csrf=with_csrf):
                    wanted = "allowed" if should and with_csrf else "denied" if with_csrf else "csrf refusal"
                    label = case.label + ("" if with_csrf else ", no CSRF token")
                    matrix.mismatches.append(
                        Mismatch(method, path, label, s.role, wanted, got, answer.status_code)
                    )
    return matrix


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The whole matrix, asked once of one demo place (about a minute to build)."""
    os.environ.pop("TOTALPLACE_DATABASE_URL", None)
    directory: Path = tmp_path_factory.mktemp("matrix") / "demo"
    build_demo(directory, people="records")  # linked people are the demo-people test's
    place = Place.open(directory)
    app = create_app(place)
    sessions = [_login(app, role) for role in ROLES]
    try:
        yield _run(app, read_demo(place), sessions)
    finally:
        for s in sessions:
            s.client.close()
        place.close()


def test_every_answer_is_the_policys(matrix: Matrix) -> None:
    report = "\n".join(str(m) for m in matrix.mismatches)
    Path(os.environ.get("TOTALPLACE_MATRIX_REPORT", "/dev/null")).write_text(report + "\n")
    assert matrix.asked > 1000
    assert not matrix.mismatches, f"{len(matrix.mismatches)} of {matrix.asked} answers differ:\n{report}"
