"""Import batches: reading files as published, validating them whole, writing immutable parquet batches.

Only this package writes parquet (DESIGN.md §3). The public entry point is :func:`import_file`.
"""

from totalplace.datasets.importer import ImportResult, import_file

__all__ = ["ImportResult", "import_file"]
