"""totalplace: open software for place-based public service budgets (Total Place).

The library's public surface is named here, so a program can write ``from totalplace import Place, Money``
without knowing which module holds what::

    from pathlib import Path

    from totalplace import ImportRequest, Place, import_file
    from totalplace.governance.roles import OPERATOR

    with Place.open("my-place") as place:
        import_file(place, Path("spend.csv"), ImportRequest("spend", partner="Council"), principal=OPERATOR)

Each name is imported on first use (a module ``__getattr__``, PEP 562), so ``import totalplace`` stays cheap
and the CLI starts as fast as before: the engines pull in pyarrow, DuckDB and SQLAlchemy only when asked for.
Anything not named in ``__all__`` may change between releases.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as the type checker sees them; at run time they load on first use
    from totalplace.datasets.importer import ImportRequest as ImportRequest
    from totalplace.datasets.importer import ImportResult as ImportResult
    from totalplace.datasets.importer import import_file as import_file
    from totalplace.engines.cba.model import load_model as load_model
    from totalplace.engines.cba.models import appraise_in_place as appraise_in_place
    from totalplace.engines.estate.access import service_access as service_access
    from totalplace.engines.outcomes.benchmark import benchmark as benchmark
    from totalplace.engines.outcomes.funnel import funnel as funnel
    from totalplace.engines.pool.fund import create_fund as create_fund
    from totalplace.engines.pool.settle import settle as settle
    from totalplace.engines.segment.run import build_segmentation as build_segmentation
    from totalplace.engines.spendmap.map import build_spend_map as build_spend_map
    from totalplace.engines.spendmap.rules import load_rules as load_rules
    from totalplace.errors import InputRefusedError as InputRefusedError
    from totalplace.errors import RowProblem as RowProblem
    from totalplace.errors import TotalplaceError as TotalplaceError
    from totalplace.governance.roles import Principal as Principal
    from totalplace.money import Money as Money
    from totalplace.place import Place as Place

# Each public name and the module that defines it.
_HOMES: dict[str, str] = {
    # a place, its money, who acts, and what goes wrong
    "Place": "totalplace.place",
    "Money": "totalplace.money",
    "Principal": "totalplace.governance.roles",
    "TotalplaceError": "totalplace.errors",
    "InputRefusedError": "totalplace.errors",
    "RowProblem": "totalplace.errors",
    # count: import a file as published
    "ImportRequest": "totalplace.datasets.importer",
    "ImportResult": "totalplace.datasets.importer",
    "import_file": "totalplace.datasets.importer",
    # the engines' main entry points (DESIGN.md §6)
    "build_spend_map": "totalplace.engines.spendmap.map",
    "load_rules": "totalplace.engines.spendmap.rules",
    "create_fund": "totalplace.engines.pool.fund",
    "settle": "totalplace.engines.pool.settle",
    "load_model": "totalplace.engines.cba.model",
    "appraise_in_place": "totalplace.engines.cba.models",
    "benchmark": "totalplace.engines.outcomes.benchmark",
    "funnel": "totalplace.engines.outcomes.funnel",
    "build_segmentation": "totalplace.engines.segment.run",
    "service_access": "totalplace.engines.estate.access",
}

__all__ = [
    "ImportRequest",
    "ImportResult",
    "InputRefusedError",
    "Money",
    "Place",
    "Principal",
    "RowProblem",
    "TotalplaceError",
    "appraise_in_place",
    "benchmark",
    "build_segmentation",
    "build_spend_map",
    "create_fund",
    "funnel",
    "import_file",
    "load_model",
    "load_rules",
    "service_access",
    "settle",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use, and keep it here for the next."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
