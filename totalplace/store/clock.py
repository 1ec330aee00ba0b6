"""The one clock of the store: UTC, ISO-8601 text with microseconds, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now, as text that sorts in time order."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
