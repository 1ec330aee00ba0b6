from __future__ import annotations

import pytest

from totalplace.errors import ConflictError, InvalidInputError, NotFoundError
from totalplace.governance.passwords import hash_password, verify_password
from totalplace.governance.policy import Resource
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store.partners import add_partner, list_partners, partner_by_name
from totalplace.store.users import add_user, grant_role, grants_of, user_by_name


def test_partners(place: Place) -> None:
    with place.begin() as conn:
        add_partner(conn, name="Greater NHS", kind="nhs", code="01A", actor="t")
    with place.read() as conn:
        assert [p.name for p in list_partners(conn)] == ["Council", "Greater NHS"]
        assert partner_by_name(conn, "greater nhs").code == "01A"
        with pytest.raises(NotFoundError) as missing:
            partner_by_name(conn, "Police")
        assert "Council" in str(missing.value)
    with pytest.raises(ConflictError), place.begin() as conn:
        add_partner(conn, name="Council", kind="local_authority", code=None, actor="t")
    with pytest.raises(InvalidInputError), place.begin() as conn:
        add_partner(conn, name="X", kind="army", code=None, actor="t")


def test_users_roles_and_permissions(place: Place) -> None:
    with place.begin() as conn:
        council = partner_by_name(conn, "Council")
        nhs = add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
        user = add_user(
            conn,
            username="Jo.Finance",
            display_name="Jo",
            password_hash=hash_password("long enough pw"),
            is_admin=False,
            actor="t",
        )
        grant_role(
            conn, user_id=user.id, role="partner_finance", partner_id=council.id, purpose="finance", actor="t"
        )
        grant_role(
            conn, user_id=user.id, role="partner_finance", partner_id=council.id, purpose="finance", actor="t"
        )
    with place.read() as conn:
        stored = user_by_name(conn, "jo.finance")
        grants = grants_of(conn, stored.id)
    assert len(grants) == 1
    assert verify_password(stored.password_hash, "long enough pw")
    assert not verify_password(stored.password_hash, "wrong password")
    assert stored.password_hash.startswith("$argon2id$")
    jo = Principal(stored.username, False, tuple(grants))
    assert jo.can("batch.import", Resource("batch", owner=council.id))
    assert not jo.can("batch.import", Resource("batch", owner=nhs.id))
    assert not jo.can("batch.import", Resource("batch"))  # naming no partner is never every partner
    assert not jo.can("audit.read")
    with pytest.raises(InvalidInputError):
        hash_password("short")
