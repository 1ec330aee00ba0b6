"""The demo's pooled funds in a small place with the demo's partners and users, for the pools' access tests.

The Better Care Fund is between Northbridge Council (the host, owner of the social-care scheme) and
Northbridge NHS (owner of discharge); 2024-25 and 2025-26 are settled and 2026-27 is posted to October.
"""

from __future__ import annotations

import random
from pathlib import Path

from argon2 import PasswordHasher

from tests.conftest import make_place
from totalplace.demo import DEMO_USER, DEMO_USERS, PARTNERS
from totalplace.demo.pools import build_pools
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store.partners import add_partner
from totalplace.store.users import RoleGrant, add_user, grant_role

BCF = "better-care-fund"
COUNCIL = "Northbridge Council"
NHS = "Northbridge NHS"
PASSWORD = "correct horse battery"
# Month 7 (October) of the open year's actual spend on the Council's social-care scheme.
COUNCIL_MONTH_7 = "spend:2026-27:social-care:07"


def demo_pool_place(directory: Path) -> Place:
    """A place with the demo's partners, its users (password :data:`PASSWORD`) and its two pools."""
    place = make_place(directory)
    # Light Argon2 parameters: logging in reads them from the hash, so the many logins of a test are quick.
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with place.begin() as conn:
        ids = {
            name: add_partner(conn, name=name, kind=kind, code=None, actor="t").id for name, kind in PARTNERS
        }
        users: list[tuple[str, str, str | None, str, bool]] = [
            (DEMO_USER, "partnership_lead", None, "planning", True)
        ]
        users += [(name, role, partner, purpose, False) for name, _, role, partner, purpose in DEMO_USERS]
        for name, role, partner, purpose, admin in users:
            user = add_user(
                conn, username=name, display_name=name, password_hash=hashed, is_admin=admin, actor="t"
            )
            pid = ids[partner] if partner else None
            grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="t")
    build_pools(place, random.Random(5))
    return place


def principals(place: Place) -> dict[str, Principal]:
    """Each demo user as the principal the web app would make of it."""
    from totalplace.store.partners import list_partners

    with place.read() as conn:
        ids = {p.name: p.id for p in list_partners(conn)}
    out = {DEMO_USER: Principal(DEMO_USER, True, (RoleGrant("partnership_lead", None, None, "planning"),))}
    for name, _, role, partner, purpose in DEMO_USERS:
        grant = RoleGrant(role, ids[partner] if partner else None, partner, purpose)
        out[name] = Principal(name, False, (grant,))
    return out
