"""A small place holding something of every kind the web shows (spending, areas, a pool, a model, an outcomes
framework with a letter, a segmentation, sites), with the users of tests/web/conftest.py; built once per module.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import make_place
from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from tests.engines.segment_support import add_oas, import_tiny_census
from tests.web.conftest import PASSWORD, USERS
from tests.web.test_cba_pages import _model
from tests.web.test_outcome_pages import FRAMEWORK
from tests.web.test_pool_pages import AGREEMENT
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.cba.models import save_model
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.outcomes.framework import save_framework
from totalplace.engines.outcomes.letters import draft_letters
from totalplace.engines.people.sharing import add_agreement
from totalplace.engines.pool.fund import create_fund
from totalplace.engines.segment.run import BuildRequest, build_segmentation
from totalplace.governance.passwords import hash_password
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import add_user, grant_role


@dataclass(frozen=True)
class SweptPlace:
    """The place, and the secrets no response may ever contain."""

    place: Place
    canary: Path
    secrets: tuple[str, ...]


def _users(place: Place) -> None:
    with place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
        for name, (role, partner, purpose) in USERS.items():
            user = add_user(
                conn,
                username=name,
                display_name=name.title(),
                password_hash=hash_password(PASSWORD),
                is_admin=False,
                actor="t",
            )
            pid = partner_by_name(conn, partner).id if partner else None
            grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="t")


def _outcomes(place: Place, work: Path) -> None:
    header = "Indicator ID,Area Code,Area Name,Sex,Age,Time period,Count,Denominator,Value"
    rows = []
    for year, count, england in ((2015, 760, 800), (2016, 750, 810), (2017, 640, 830)):
        rows.append(f"100,E06000001,Testshire,Persons,All ages,{year},{count},1000,{count / 10}")
        rows.append(f"100,E92000001,England,Persons,All ages,{year},{england},1000,{england / 10}")
    (work / "obs.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_file(place, work / "obs.csv", ImportRequest("observations", None), principal=OPERATOR)
    with place.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    draft_letters(place, principal=trusted("t"))


# An information-sharing agreement between the swept place's partners (its pages take a name).
SHARING = """
name: swept
title: Swept
purpose: direct_care
parties: [{partner: Council, role: controller}, {partner: NHS, role: controller}]
legal: {powers: [children_act_2004_s10], article6: public_task, article9: art9_2_h, schedule1: sch1_para2}
flows: [{partner: NHS, source: nhs_urgent_contacts, fields: [nhs_number, event_date]}]
retention: {months: 12, at_end: delete}
dpia: {reference: D-1, outcome: approved}
review_date: 2099-01-01
national_data_opt_out: false
"""


def build_swept_place(root: Path) -> SweptPlace:
    """The place in ``root/place``, with a canary secret file beside its own secret key."""
    place = make_place(root / "place")
    work = root / "work"
    work.mkdir()
    _users(place)
    import_file(
        place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="a.csv",
    )
    codes = add_oas(place, work, 30)
    spec = import_tiny_census(place, work, codes)
    build_segmentation(place, spec, BuildRequest("tiny", [2, 4], seed=3, starts=5), principal=trusted("t"))
    (work / "sites.csv").write_text(
        "name,type,lon,lat\nLibrary,library,-2.395,53.401\nHub,library,-2.385,53.403\n", encoding="utf-8"
    )
    import_sites(place, work / "sites.csv", principal=OPERATOR, partner="Council")
    create_fund(place, yaml.safe_dump(AGREEMENT), "agreement.yaml", principal=OPERATOR)
    save_model(place, _model(), "model.yaml", OPERATOR)
    add_agreement(place, OPERATOR, SHARING, "sharing.yaml", "swept")
    _outcomes(place, work)
    canary = place.dir / "canary.txt"
    canary.write_text(f"CANARY-{secrets.token_hex(16)}", encoding="ascii")
    key = place.secret_key()
    return SweptPlace(place, canary, (canary.read_text("ascii"), key))
