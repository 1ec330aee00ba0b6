"""Limits that keep hostile or mistaken files from exhausting memory or time."""

from __future__ import annotations

from dataclasses import dataclass

from totalplace import settings


@dataclass(frozen=True)
class ImportLimits:
    """The bounds one import works within; defaults come from settings."""

    max_bytes: int
    max_unzipped_bytes: int
    max_zip_ratio: int
    max_rows: int
    max_columns: int
    max_problems: int
    max_field_chars: int = 100_000
    stream_from_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> ImportLimits:
        """The limits configured by TOTALPLACE_MAX_* variables."""
        return cls(
            max_bytes=settings.get_int("max_import_bytes"),
            max_unzipped_bytes=settings.get_int("max_unzipped_bytes"),
            max_zip_ratio=settings.get_int("max_zip_ratio"),
            max_rows=settings.get_int("max_import_rows"),
            max_columns=settings.get_int("max_import_columns"),
            max_problems=settings.get_int("max_problems"),
            stream_from_bytes=settings.get_int("stream_import_bytes"),
        )
