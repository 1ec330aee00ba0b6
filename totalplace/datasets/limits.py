"""Limits that keep hostile or mistaken files from exhausting memory or time."""

from __future__ import annotations

from dataclasses import dataclass

from totalplace import settings
from totalplace.errors import ConfigurationError
from totalplace.money import MAX_ROWS_FOR_64_BITS


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
    # No physical line of a table is longer than this: ten cells at the field limit. Checked on the bytes, in
    # blocks, before a file is decoded, so one endless line is refused without being read whole.
    max_line_bytes: int = 1_000_000
    stream_from_bytes: int = 64 * 1024 * 1024
    max_vertices: int = 1_000_000
    max_sheet_bytes: int = 48 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> ImportLimits:
        """The limits configured by TOTALPLACE_MAX_* variables."""
        max_rows = settings.get_int("max_import_rows")
        if max_rows > MAX_ROWS_FOR_64_BITS:
            # Every amount is within money.MAX_AMOUNT_PENCE; more rows than this and a file's total could pass
            # a 64-bit integer (money.py says why).
            raise ConfigurationError(
                f"TOTALPLACE_MAX_IMPORT_ROWS={max_rows:,} is above {MAX_ROWS_FOR_64_BITS:,}, the most lines "
                "whose total is sure to fit 64 bits",
                hint=f"set it to {MAX_ROWS_FOR_64_BITS:,} or less, and split larger files",
            )
        return cls(
            max_bytes=settings.get_int("max_import_bytes"),
            max_unzipped_bytes=settings.get_int("max_unzipped_bytes"),
            max_zip_ratio=settings.get_int("max_zip_ratio"),
            max_rows=max_rows,
            max_columns=settings.get_int("max_import_columns"),
            max_problems=settings.get_int("max_problems"),
            stream_from_bytes=settings.get_int("stream_import_bytes"),
            max_vertices=settings.get_int("max_geojson_vertices"),
            max_sheet_bytes=settings.get_int("max_xlsx_sheet_bytes"),
        )
