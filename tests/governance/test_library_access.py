"""The library functions the command line and the web app call, asked by every demo role, refuse exactly
what the access policy (governance/policy.py) refuses: the same table that drives the web's route matrix.

Each :class:`Operation` names a library function, the policy action it takes and the resource it takes it on
in a small place with the demo's partners, users and pools. Every operation is run as every demo user and as
a user with no role; the answer is "denied" when the function raises PermissionDeniedError or
PartnerRequiredError, "allowed" otherwise (done, or its input refused after the access check: an allowed
user meeting a validation error or a settled year is still let through), and must be what
:func:`totalplace.governance.policy.allowed` says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.datasets.files import HEADER, csv_bytes
from tests.engines.pool_access_support import BCF, COUNCIL, NHS, demo_pool_place, principals
from totalplace.datasets.export import export_batch
from totalplace.datasets.importer import ImportRequest, ImportResult, import_file
from totalplace.engines.cba.models import save_model
from totalplace.engines.cba.unit_costs import LIBRARY_RESOURCE, read_unit_cost_file, save_library
from totalplace.engines.outcomes.framework import save_framework
from totalplace.engines.pool import access
from totalplace.engines.pool.forecast import choose_method
from totalplace.engines.pool.fund import create_fund, open_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.engines.pool.report import fund_summary, reconciled_statements
from totalplace.engines.pool.settle import settle
from totalplace.errors import PartnerRequiredError, PermissionDeniedError, TotalplaceError
from totalplace.governance.policy import PLACE, Resource, allowed
from totalplace.governance.roles import OPERATOR, Principal
from totalplace.place import Place
from totalplace.store.partners import list_partners

DEMO = Path(__file__).resolve().parents[2] / "totalplace" / "demo"
NOBODY = Principal("nobody", False, ())

Run = Callable[[Place, Principal, str], object]
Locate = Callable[[Place], Resource]


@dataclass(frozen=True)
class Operation:
    """A library function run as a principal (``tag`` makes what it writes unique to that run)."""

    name: str
    action: str
    resource: Locate
    run: Run


def _pool(place: Place) -> Resource:
    with place.read() as conn:
        return access.pool_resource(conn, open_fund(conn, BCF))


def _owned(kind: str, partner: str) -> Locate:
    def locate(place: Place) -> Resource:
        pool = _pool(place)
        with place.read() as conn:
            return access.owned(access.partner_ids(conn), pool, kind, partner)

    return locate


def _batch(partner: str) -> Locate:
    def locate(place: Place) -> Resource:
        with place.read() as conn:
            ids = {p.name: p.id for p in list_partners(conn)}
        return Resource("batch", owner=ids[partner])

    return locate


def _spend(partner: str) -> Run:
    def run(place: Place, who: Principal, tag: str) -> object:
        rows = f"01/05/2025,Supplier {tag} Ltd,500.00,Care\n"
        request = ImportRequest("spend", partner)
        return import_file(
            place, csv_bytes(HEADER + "\n" + rows), request, source_name=f"{tag}.csv", principal=who
        )

    return run


def _post(scheme: str) -> Run:
    def run(place: Place, who: Principal, tag: str) -> object:
        movement = Movement(f"lib-{tag}-{scheme}", "spend", date(2026, 11, 2), 50_000, scheme=scheme)
        return post_movements(place, BCF, [movement], principal=who)

    return run


def _agreement(tag: str) -> str:
    text = (DEMO / "agreements" / "better-care-fund.yaml").read_text("utf-8")
    return text.replace("name: better-care-fund", f"name: lib-{tag}", 1)


def _model(place: Place, who: Principal, tag: str) -> object:
    return save_model(place, (DEMO / "cba" / "falls-service.yaml").read_text("utf-8"), "falls.yaml", who)


def _library(place: Place, who: Principal, tag: str) -> object:
    entries = read_unit_cost_file(DEMO / "cba" / "unit_costs.csv")
    return save_library(place, entries, "unit_costs.csv", who, reason=f"test {tag}")


def _framework(place: Place, who: Principal, tag: str) -> object:
    text = (DEMO / "frameworks" / "northbridge.yaml").read_text("utf-8")
    with place.begin() as conn:
        return save_framework(conn, text, principal=who, reason=tag)


OPERATIONS: tuple[Operation, ...] = (
    Operation("create_fund", "pool.create", lambda _: PLACE, lambda p, w, t: create_fund(p, _agreement(t), "a.yaml", principal=w)),
    Operation("fund_summary", "pool.read", _pool, lambda p, w, t: fund_summary(p, BCF, principal=w)),
    Operation("reconciled_statements NHS", "statement.read", _owned("statement", NHS),
              lambda p, w, t: reconciled_statements(p, BCF, "2025-26", NHS, principal=w, via="test")),
    Operation("post spend, Council scheme", "pool.post", _owned("posting", COUNCIL), _post("social-care")),
    Operation("post spend, NHS scheme", "pool.post", _owned("posting", NHS), _post("discharge")),
    Operation("choose_method", "pool.manage", _pool,
              lambda p, w, t: choose_method(p, BCF, "straight_line", principal=w, reason=t)),
    Operation("import spend, Council", "batch.import", _batch(COUNCIL), _spend(COUNCIL)),
    Operation("import spend, NHS", "batch.import", _batch(NHS), _spend(NHS)),
    Operation("save_model (the partnership's)", "model.change", lambda _: Resource("model", "falls-service"), _model),
    Operation("save_library", "library.change", lambda _: LIBRARY_RESOURCE, _library),
    Operation("save_framework", "framework.change", lambda _: Resource("framework", "northbridge-rising"),
              _framework),
    Operation("settle early", "pool.manage", _pool,
              lambda p, w, t: settle(p, BCF, "2026-27", principal=w, early_reason=f"test {t}")),
)  # fmt: skip


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    made = demo_pool_place(tmp_path_factory.mktemp("library-access"))
    # The partnership's model exists before anyone tries to replace it (it keeps its owner: the partnership),
    # appraised against the demo's unit costs.
    _library(made, OPERATOR, "first")
    _model(made, OPERATOR, "first")
    yield made
    made.close()


def _answer(operation: Operation, place: Place, who: Principal, tag: str) -> str:
    try:
        operation.run(place, who, tag)
    except (PermissionDeniedError, PartnerRequiredError):
        return "denied"
    except TotalplaceError:
        return "allowed"  # let through the access check, then its input refused
    return "allowed"


def test_library_functions_answer_as_the_policy(place: Place) -> None:
    people = {**principals(place), "nobody": NOBODY}
    wrong = []
    for operation in OPERATIONS:
        resource = operation.resource(place)
        seen = set()
        for index, (name, who) in enumerate(people.items()):
            should = "allowed" if allowed(who, operation.action, resource) else "denied"
            got = _answer(operation, place, who, f"{index}")
            seen.add(got)
            if got != should:
                wrong.append(f"{operation.name} as {name}: expected {should}, got {got}")
        # Each operation is let through for someone and refused to someone: the test can fail both ways.
        assert seen == {"allowed", "denied"}, operation.name
    assert not wrong, "\n".join(wrong)


def test_raw_batches_download_only_for_their_partner_leads_and_auditors(place: Place) -> None:
    imported = _spend(COUNCIL)(place, OPERATOR, "download")
    assert isinstance(imported, ImportResult)
    batch_id = imported.batch.id
    resource = _batch(COUNCIL)(place)
    for name, who in {**principals(place), "nobody": NOBODY}.items():
        should = allowed(who, "batch.download", resource)
        try:
            export_batch(place, batch_id, "csv", principal=who)
            got = True
        except PermissionDeniedError:
            got = False
        assert got == should, name
