"""`totalplace audit`: verify lists problems and exits 1, anchor prints the head, a missing key is a coded error."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import update

from tests.conftest import Invoke
from totalplace.place import Place
from totalplace.store.schema import audit_log


def _init(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0


def test_verify_anchor_and_against(run: Invoke, tmp_path: Path) -> None:
    _init(run, tmp_path)
    printed = json.loads(run("audit", "anchor", "--json").stdout)
    assert printed["seq"] == 2 and len(printed["fingerprint"]) == 19
    assert printed["verification"]["ok"] is True
    human = run("audit", "anchor")
    assert printed["fingerprint"] in human.stdout and "--against 2:" in human.stdout
    assert run("partner", "add", "NHS", "--kind", "nhs").exit_code == 0
    checked = run("audit", "verify", "--against", printed["against"], "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["anchored_seq"] == 3
    log = json.loads(run("audit", "log", "--limit", "2", "--json").stdout)
    assert [r["alg"] for r in log] == ["hmac-sha256:1", "hmac-sha256:1"]


def test_verify_exits_1_listing_the_problems(run: Invoke, tmp_path: Path) -> None:
    _init(run, tmp_path)
    with Place.open(tmp_path / "place") as place, place.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 1).values(actor="mallory"))
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "does NOT verify" in result.stdout and "record 1: contents were changed" in result.stdout
    assert run("audit", "anchor").exit_code == 1
    assert run("check").exit_code == 1


def test_a_missing_key_is_a_coded_error_with_a_hint(run: Invoke, tmp_path: Path) -> None:
    _init(run, tmp_path)
    os.unlink(tmp_path / "place" / "keys" / "audit-1.key")
    result = run("partner", "add", "NHS", "--kind", "nhs", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "TP302" and "backup" in error["hint"]
    verify = run("audit", "verify")
    assert verify.exit_code == 1 and "TP302" in verify.output and "Traceback" not in verify.output


def test_rotate_and_upgrade_from_the_command_line(run: Invoke, tmp_path: Path) -> None:
    _init(run, tmp_path)
    refused = run("audit", "upgrade", "--json")
    assert refused.exit_code == 1 and json.loads(refused.stdout)["error"]["code"] == "TP105"
    rotated = json.loads(run("audit", "rotate-key", "--json").stdout)
    assert rotated["key"] == 2 and rotated["action"] == "audit.key_rotated"
    assert run("audit", "verify").exit_code == 0
