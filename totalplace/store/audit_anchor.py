"""The audit anchor: an append-only file beside the place naming the chain's committed heads.

After every write transaction that appended audit records commits, one line is added to
``<place>/audit.anchor``::

    v1 SEQ HASH ANCHORED_AT KEY MAC

SEQ and HASH are the newest record of that transaction; KEY is the number of the audit key; MAC is an
HMAC-SHA256 under that key over the line's fields and the previous line's MAC, so a line changed or removed
from the middle of the file is detected too. A store writer (anyone who can change the database but not the
place's files or key) cannot make the store agree with these lines after rewriting history, nor delete
records from the end without the anchor naming a record the store no longer holds.

Several processes may commit at once (server workers on PostgreSQL). Each line is written with a single
``write`` to a descriptor opened with ``O_APPEND`` under an exclusive ``flock``, and fsynced, so lines never
interleave; they may still appear out of SEQ order across processes, which is fine because each line is an
independent check of one (SEQ, HASH).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from totalplace import durable
from totalplace.errors import AuditAnchorError, KeyMissingError
from totalplace.store.clock import utc_now

VERSION = "v1"
_TAIL_BYTES = 8192
log = logging.getLogger(__name__)

KeyLookup = Callable[[int], bytes]


@dataclass(frozen=True)
class AnchorLine:
    """One parsed line of the anchor file."""

    number: int  # 1-based line number in the file
    seq: int
    hash: str
    at: str
    key_id: int
    mac: str


@dataclass
class AnchorReading:
    """What the anchor file says, and what is wrong with the file itself."""

    exists: bool = False
    lines: list[AnchorLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def newest(self) -> AnchorLine | None:
        """The line naming the highest record number."""
        return max(self.lines, key=lambda line: line.seq, default=None)


def line_mac(key: bytes, seq: int, digest: str, at: str, key_id: int, prev_mac: str) -> str:
    """The MAC that seals one anchor line and links it to the line before."""
    message = f"totalplace-audit-anchor|{VERSION}|{seq}|{digest}|{at}|{key_id}|{prev_mac}"
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


def parse_line(text: str, number: int) -> AnchorLine | None:
    """A line's fields, or None when it is not a well-formed anchor line."""
    parts = text.split(" ")
    if len(parts) != 6 or parts[0] != VERSION:
        return None
    _, seq, digest, at, key_id, mac = parts
    if not (seq.isdigit() and key_id.isdigit() and _is_hex64(digest) and _is_hex64(mac)):
        return None
    return AnchorLine(number, int(seq), digest, at, int(key_id), mac)


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def write(path: Path, key: bytes, key_id: int, seq: int, digest: str) -> None:
    """Append the line for a committed head (under an exclusive lock, one write, fsynced)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        prev_mac, needs_newline = _tail(path)
        at = utc_now()
        mac = line_mac(key, seq, digest, at, key_id, prev_mac)
        line = f"{VERSION} {seq} {digest} {at} {key_id} {mac}\n"
        durable.write_all(fd, (("\n" if needs_newline else "") + line).encode("ascii"))
    finally:
        os.close(fd)  # closing releases the lock


def write_after_commit(path: Path, key: bytes, key_id: int, seq: int, digest: str) -> bool:
    """``write``, after the store has committed: a failure cannot undo the commit, so it is logged.

    The anchor then lags the store; ``audit verify`` says by how much, and the next change anchors again.
    """
    try:
        write(path, key, key_id, seq, digest)
    except OSError as exc:
        log.warning("audit record %s committed but not anchored in %s: %s", seq, path, exc)
        return False
    return True


def _tail(path: Path) -> tuple[str, bool]:
    """The MAC of the last well-formed line ('' for none) and whether the file ends mid-line."""
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read().decode("ascii", errors="replace")
    if not tail:
        return "", False
    needs_newline = not tail.endswith("\n")
    # The last piece is '' (the file ends with a newline) or a torn line; neither can be linked to.
    for text in reversed(tail.split("\n")[:-1]):
        parsed = parse_line(text, 0)
        if parsed is not None:
            return parsed.mac, needs_newline
    return "", needs_newline


def create(path: Path) -> None:
    """Make an empty anchor file if there is none (at ``init`` and when a chain is first keyed)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
    except OSError as exc:
        raise AuditAnchorError(
            f"the audit anchor {path} cannot be created: {exc.strerror}",
            hint="the place directory must be writable by the user running totalplace",
        ) from None


def read(path: Path, key_for: KeyLookup) -> AnchorReading:
    """Read and check every line: well formed, its MAC right, and following the line before it."""
    reading = AnchorReading()
    try:
        handle = path.open("r", encoding="ascii", errors="replace", newline="\n")
    except FileNotFoundError:
        return reading
    except OSError as exc:
        raise AuditAnchorError(
            f"the audit anchor {path} cannot be read: {exc.strerror}",
            hint="run as the user that owns the place",
        ) from None
    reading.exists = True
    prev_mac = ""
    with handle:
        for number, text in _numbered(handle):
            line = parse_line(text, number)
            if line is None:
                reading.problems.append(f"anchor line {number} is damaged (not an anchor line)")
                continue
            try:
                key = key_for(line.key_id)
            except KeyMissingError:
                reading.problems.append(
                    f"anchor line {number} names audit key {line.key_id}, which is missing"
                )
                key = b""
            expected = line_mac(key, line.seq, line.hash, line.at, line.key_id, prev_mac) if key else ""
            if key and not hmac.compare_digest(expected, line.mac):
                reading.problems.append(
                    f"anchor line {number} (record {line.seq}) was changed, or lines before it were removed"
                )
            reading.lines.append(line)
            prev_mac = line.mac
    return reading


def _numbered(handle: Iterator[str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(handle, start=1):
        text = raw.rstrip("\n")
        if text:
            yield number, text
