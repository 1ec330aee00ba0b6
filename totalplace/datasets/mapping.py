"""Column mappings a user writes for files in no published format (the ``mapped`` spend format).

A mapping is a small YAML file::

    # Greater Manchester Police payments, exported from Oracle
    columns:
      date: "Posting Date"
      supplier: "Vendor"
      amount: "Net (GBP)"
      description: "Line Description"
"""

from __future__ import annotations

from pathlib import Path

from totalplace.datasets.safe_yaml import load_yaml
from totalplace.errors import InvalidInputError


def load_column_mapping(path: Path) -> dict[str, str]:
    """The ``columns`` of a mapping file, as {field: header}."""
    document = load_yaml(path.read_bytes(), path.name).data
    columns = document.get("columns") if isinstance(document, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise InvalidInputError(
            f"{path.name} has no columns: section",
            hint="write columns: {date: HEADER, supplier: HEADER, amount: HEADER}",
        )
    return {str(k): str(v) for k, v in columns.items()}
