"""The demo's residents, into the place: the opt-out response, every partner's extract under its agreement,
and (if asked) the linkage of each purpose's records into people and households.

Everything goes through the same library functions a real place uses, as the demo's principal. The records
step (``datasets/records.py``, ``engines/people/optout.py``) and the linkage step (``engines/people/runs.py``)
load when this runs, so building a demo without people never loads them.

The ground truth is written to ``truth_dir`` (outside the place's store and data: never imported), where
tests and ``totalplace link evaluate`` read it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.demo.extracts import DEMO_RESIDENTS_SEED, TRUTH_DIR, generate
from totalplace.demo.principal import DEMO
from totalplace.errors import FlowNotAgreedError

if TYPE_CHECKING:
    from totalplace.place import Place

PURPOSES = ("planning", "direct_care")


@dataclass
class PeopleSummary:
    """What :func:`add_people` did."""

    records: int = 0
    imported: dict[str, int] = field(default_factory=dict)  # "agreement/source": records kept
    not_agreed: list[str] = field(default_factory=list)  # flows no agreement covers (refused, TP902)
    linked: dict[str, int] = field(default_factory=dict)  # purpose: people

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "records": self.records,
            "imported": self.imported,
            "not_agreed": self.not_agreed,
            "linked": self.linked,
        }


def add_people(
    place: Place,
    workdir: Path,
    truth_dir: Path,
    *,
    seed: int = DEMO_RESIDENTS_SEED,
    link: bool = True,
    say: Callable[[str], None] = lambda _stage: None,
) -> PeopleSummary:
    """Write the extracts in ``workdir``, import them (after the opt-out response), keep the truth in
    ``truth_dir``, and link each purpose's records when ``link``."""
    from totalplace.datasets import records
    from totalplace.engines.people import optout

    say("people: writing the partners' extracts")
    written = generate(workdir, seed)
    summary = PeopleSummary(written.records)
    shutil.copytree(workdir / TRUTH_DIR, truth_dir, dirs_exist_ok=True)
    say("people: the national data opt-out list")
    optout.import_optout(place, DEMO, written.opt_out, list_date=dt.date.today())
    for extract in written.extracts:
        say(f"people: {extract.partner}, {extract.source} ({extract.agreement})")
        try:
            result = records.import_records(
                place,
                DEMO,
                extract.path,
                partner=extract.partner,
                agreement=extract.agreement,
                source=extract.source,
                mapping=dict(extract.columns),
            )
        except FlowNotAgreedError:
            summary.not_agreed.append(f"{extract.agreement}/{extract.source}")
            continue
        summary.imported[f"{extract.agreement}/{extract.source}"] = int(result.records_kept)
    if link:
        _link(place, summary, say)
    return summary


def _link(place: Place, summary: PeopleSummary, say: Callable[[str], None]) -> None:
    """Train each purpose's model and link its records into people and households."""
    from totalplace.engines.people import runs

    for purpose in PURPOSES:
        say(f"people: training the {purpose} linkage")
        runs.train_model(place, DEMO, purpose, progress=say)
        say(f"people: linking the {purpose} records")
        run = runs.run_linkage(place, DEMO, purpose, progress=say)
        summary.linked[purpose] = int(run.people)
