"""The one clock of the store: UTC, ISO-8601 text with microseconds, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now, as text that sorts in time order."""
    return as_text(utc_datetime())


def utc_datetime() -> datetime:
    """Now, as an aware UTC datetime (sessions and login throttling compare times with it)."""
    return datetime.now(UTC)


def as_text(moment: datetime) -> str:
    """A UTC datetime as the store's text form, which sorts in time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """The store's text form back as an aware UTC datetime."""
    return datetime.fromisoformat(text)
