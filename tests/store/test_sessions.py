"""Sessions and login throttling in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from totalplace.place import Place
from totalplace.store import clock, login_throttle, sessions
from totalplace.store.login_throttle import ThrottleKey, ThrottlePolicy
from totalplace.store.users import add_user, grant_role, set_active, set_password

POLICY = sessions.SessionPolicy(idle=timedelta(minutes=60), absolute=timedelta(hours=8))
THROTTLE = ThrottlePolicy(
    user_free=3,
    address_free=10,
    delay=timedelta(seconds=30),
    max_delay=timedelta(seconds=100),
    forget=timedelta(hours=24),
)


def _user(place: Place, name: str = "lead") -> int:
    with place.begin() as conn:
        user = add_user(conn, username=name, display_name=name, password_hash="x", is_admin=False, actor="t")
        grant_role(conn, user_id=user.id, role="auditor", partner_id=None, purpose="audit", actor="t")
        grant_role(conn, user_id=user.id, role="analyst", partner_id=1, purpose="analysis", actor="t")
    return user.id


def test_a_session_is_found_by_its_cookie_with_the_users_roles_and_ends(place: Place) -> None:
    uid, now = _user(place), clock.utc_datetime()
    with place.begin() as conn:
        new = sessions.start_session(conn, user_id=uid, now=now, policy=POLICY, address="10.0.0.1")
    with place.read() as conn:
        found = sessions.find_session(conn, new.cookie_id, now, POLICY)
        assert found is not None and found.username == "lead" and found.csrf_token == new.csrf_token
        assert [(g.role, g.partner_name) for g in found.grants] == [("analyst", "Council"), ("auditor", None)]
        assert sessions.find_session(conn, new.id_hash, now, POLICY) is None  # the stored hash is no cookie
        assert sessions.find_session(conn, new.cookie_id, now + timedelta(minutes=61), POLICY) is None
        assert sessions.find_session(conn, new.cookie_id, now + timedelta(hours=9), POLICY) is None
    with place.begin() as conn:
        assert sessions.end_session(conn, new.cookie_id) == uid
    with place.read() as conn:
        assert sessions.find_session(conn, new.cookie_id, now, POLICY) is None


def test_a_new_password_or_disabling_ends_every_session(place: Place) -> None:
    uid, now = _user(place), clock.utc_datetime()
    with place.begin() as conn:
        first = sessions.start_session(conn, user_id=uid, now=now, policy=POLICY)
        second = sessions.start_session(conn, user_id=uid, now=now, policy=POLICY)
    with place.begin() as conn:
        assert set_password(conn, username="lead", password_hash="y", actor="t") == 2
    with place.read() as conn:
        assert sessions.find_session(conn, first.cookie_id, now, POLICY) is None
        assert sessions.find_session(conn, second.cookie_id, now, POLICY) is None
    with place.begin() as conn:
        third = sessions.start_session(conn, user_id=uid, now=now, policy=POLICY)
        assert set_active(conn, username="lead", active=False, actor="t") == 1
    with place.read() as conn:
        assert sessions.find_session(conn, third.cookie_id, now, POLICY) is None
        assert sessions.list_sessions(conn, uid) == []


def test_expired_sessions_are_purged(place: Place) -> None:
    uid, now = _user(place), clock.utc_datetime()
    with place.begin() as conn:
        sessions.start_session(conn, user_id=uid, now=now - timedelta(hours=2), policy=POLICY)
        live = sessions.start_session(conn, user_id=uid, now=now, policy=POLICY)
        assert sessions.purge_expired(conn, now, POLICY) == 1
        assert [s.id_hash for s in sessions.list_sessions(conn, uid)] == [live.id_hash]


def test_failures_make_a_key_wait_longer_each_time_and_a_success_clears_it(place: Place) -> None:
    keys = (ThrottleKey.of("user", "Lead "), ThrottleKey.of("address", "10.0.0.1"))
    assert keys[0] == ThrottleKey.of("user", "lead")
    now = clock.utc_datetime()
    with place.begin() as conn:
        for _ in range(3):
            assert login_throttle.begin_attempt(conn, keys, now, THROTTLE) is None
        refused = login_throttle.begin_attempt(conn, keys, now, THROTTLE)
        assert refused is not None and refused.kind == "user" and refused.first
        assert refused.until == now + timedelta(seconds=30)
        again = login_throttle.begin_attempt(conn, keys, now, THROTTLE)
        assert again is not None and not again.first  # audited once per wait
        later = now + timedelta(seconds=31)
        assert login_throttle.begin_attempt(conn, keys, later, THROTTLE) is None
        longer = login_throttle.begin_attempt(conn, keys, later, THROTTLE)
        assert longer is not None and longer.until == later + timedelta(seconds=60)
        capped = later + timedelta(seconds=61)
        assert login_throttle.begin_attempt(conn, keys, capped, THROTTLE) is None
        most = login_throttle.begin_attempt(conn, keys, capped, THROTTLE)
        assert most is not None and most.until == capped + timedelta(seconds=100)
        login_throttle.attempt_succeeded(conn, keys)
        assert login_throttle.begin_attempt(conn, keys, capped, THROTTLE) is None
        forgotten = capped + timedelta(hours=25)
        assert login_throttle.purge(conn, forgotten, THROTTLE) == 2
