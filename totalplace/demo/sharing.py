"""The demo's information-sharing agreements (``agreements/sharing/*.yaml``), added as a data protection
officer would add them, each with its review date set from the day the demo is built.

A fixed review date would make a demo built next year show every agreement lapsed, and its records refused.
So the builder writes each agreement's ``review_date`` as :data:`REVIEW_AFTER` days after the build day: the
direct-care and planning agreements are reviewed in a year, and the evaluation's is due in three weeks, so
the demo always shows one agreement due for review (and its flows still run).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from totalplace.demo.principal import DEMO
from totalplace.engines.people.sharing import add_agreement

if TYPE_CHECKING:
    from totalplace.place import Place

SHARING: Final = Path(__file__).parent / "agreements" / "sharing"
DIRECT_CARE: Final = "northbridge-early-help-direct-care"
PLANNING: Final = "northbridge-population-health-planning"
EVALUATION: Final = "northbridge-early-help-evaluation"
# Days from the build day to each agreement's review date.
REVIEW_AFTER: Final[dict[str, int]] = {DIRECT_CARE: 365, PLANNING: 365, EVALUATION: 21}
_REVIEW: Final = re.compile(r"^review_date: .*$", re.MULTILINE)


def agreement_text(name: str, today: dt.date) -> str:
    """The demo agreement ``name``'s YAML, its review date set from ``today``."""
    text = (SHARING / f"{name}.yaml").read_text(encoding="utf-8")
    review = today + dt.timedelta(days=REVIEW_AFTER[name])
    return _REVIEW.sub(f"review_date: {review.isoformat()}", text, count=1)


def add_sharing(place: Place, today: dt.date | None = None) -> list[str]:
    """Add the demo's agreements (as of ``today``, default today); their names."""
    day = today or dt.date.today()
    for name in REVIEW_AFTER:
        add_agreement(
            place,
            DEMO,
            agreement_text(name, day),
            f"{name}.yaml",
            "agreed by the partners (the demo's agreements)",
        )
    return list(REVIEW_AFTER)
