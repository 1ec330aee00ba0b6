"""Import batches: reading files as published, validating them whole, writing immutable parquet batches.

Only this package writes parquet (DESIGN.md §3). The public entry point is :func:`import_file`. It is
loaded on first use, so that modules needing only the light readers here (the safe YAML and JSON loaders,
the problem codes) do not pull in pyarrow.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ImportResult", "import_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from totalplace.datasets import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
