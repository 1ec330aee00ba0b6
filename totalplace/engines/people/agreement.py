"""An information-sharing agreement, and the check every flow of records about people must pass.

An agreement is a YAML document, versioned like every other object (:mod:`totalplace.engines.people.sharing`
keeps it). It records what the ICO's data sharing code of practice (2021, "Data sharing agreements") asks a
data sharing agreement to record: the parties and their roles, the purpose, the lawful basis (UK GDPR Art. 6,
and for special-category data an Art. 9 condition with its DPA 2018 Schedule 1 condition where one is needed),
the data items each party shares, retention and what happens at its end, the DPIA, the review date, whether
the national data opt-out applies and, if not, the exemption relied on, and the decisions taken on it.

:func:`check_flow` is asked before any record about a person is read into the place: a flow the agreement
does not name is refused, a flow past the agreement's review date warns for a grace period and is then
refused, and a column the agreement does not list for that flow is dropped and reported.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from totalplace.engines.pool.files import parse_yaml, problems_from
from totalplace.errors import (
    AgreementLapsedError,
    FlowNotAgreedError,
    SharingAgreementInvalidError,
)

Purpose = Literal["direct_care", "planning", "evaluation", "payment_by_results"]
PartyRole = Literal["controller", "joint_controller", "processor"]
DpiaOutcome = Literal["approved", "approved_with_conditions", "pending", "rejected"]
AtEnd = Literal["delete", "anonymise", "review"]

# The national data opt-out applies to confidential patient information used for purposes beyond an
# individual's care; it does not apply to direct care (NHS England, "National data opt-out operational policy
# guidance", §5 and §6).
OPT_OUT_PURPOSES: Final[frozenset[str]] = frozenset({"planning", "evaluation", "payment_by_results"})
# A flow past its agreement's review date still runs for this many days, with a warning each time, so that a
# late review does not stop a service overnight; then it is refused. A local choice, not a published rule.
REVIEW_GRACE_DAYS: Final = 30

_CODE: Final = SharingAgreementInvalidError.code
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Strict):
    """A partner that is party to the agreement, and whether it is a controller or a processor."""

    partner: Text
    role: PartyRole


class LegalBasis(_Strict):
    """The legal power to share and the lawful basis for processing (keys of the cited legal-bases YAML)."""

    powers: list[Text] = Field(min_length=1)
    article6: Text
    article9: Text | None = None
    schedule1: Text | None = None


class Flow(_Strict):
    """One flow: which partner sends which kind of records, and the fields it may send."""

    partner: Text
    source: FieldName
    fields: list[FieldName] = Field(min_length=1)


class Retention(_Strict):
    """How long shared records are kept, and what happens to them at the end."""

    months: int = Field(ge=1, le=1200)
    at_end: AtEnd


class Dpia(_Strict):
    """The data protection impact assessment: its reference and outcome."""

    reference: Text
    outcome: DpiaOutcome


class Decision(_Strict):
    """One entry of the decision log: who decided what, when."""

    date: dt.date
    by: Text
    decision: Text


class SharingAgreement(_Strict):
    """An information-sharing agreement, as its YAML document says."""

    name: Name
    title: Text
    purpose: Purpose
    parties: list[Party] = Field(min_length=1)
    legal: LegalBasis
    flows: list[Flow] = Field(min_length=1)
    retention: Retention
    dpia: Dpia
    review_date: dt.date
    national_data_opt_out: bool
    opt_out_exemption: Text | None = None
    decisions: list[Decision] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SharingAgreement:
        parties = [p.partner for p in self.parties]
        problems = [
            f"{p} is named twice among the parties" for p in sorted(set(parties)) if parties.count(p) > 1
        ]
        problems += [
            f"the flow from {f.partner} names a partner that is not a party"
            for f in self.flows
            if f.partner not in parties
        ]
        if self.purpose in OPT_OUT_PURPOSES and not self.national_data_opt_out and not self.opt_out_exemption:
            problems.append(
                f"the national data opt-out applies to {self.purpose}: set national_data_opt_out: true, "
                "or name the exemption relied on in opt_out_exemption"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def flow(self, partner: str, source: str) -> Flow | None:
        """The flow from ``partner`` of ``source`` records, or None when the agreement does not name it."""
        return next((f for f in self.flows if f.partner == partner and f.source == source), None)

    @property
    def applies_opt_out(self) -> bool:
        """Whether records shared under this agreement must exclude people who have opted out."""
        return self.purpose in OPT_OUT_PURPOSES and self.national_data_opt_out


def load_agreement(text: str | bytes, file: str) -> SharingAgreement:
    """An agreement from YAML text, or SharingAgreementInvalidError naming each field and line."""
    data, node = parse_yaml(text, file, SharingAgreementInvalidError)
    try:
        return SharingAgreement.model_validate(data)
    except ValidationError as exc:
        raise SharingAgreementInvalidError(file, problems_from(exc, file, node, _CODE)) from None


@dataclass(frozen=True)
class FlowCheck:
    """What :func:`check_flow` decided: the columns kept and dropped, and any warning to show."""

    agreement: str
    purpose: str
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


_CLEAN = re.compile(r"[^a-z0-9]+")


def column_key(column: str) -> str:
    """A column heading as an agreement names fields: lower case, words joined by underscores."""
    return _CLEAN.sub("_", column.strip().lower()).strip("_")


def check_flow(
    agreement: SharingAgreement, partner: str, source: str, columns: list[str], today: dt.date
) -> FlowCheck:
    """Whether ``partner`` may send ``source`` records with ``columns`` under ``agreement`` on ``today``.

    Refuses (TP902) a flow the agreement does not name, or one whose DPIA is not approved, and (TP901) a flow
    more than :data:`REVIEW_GRACE_DAYS` past the review date; warns within the grace period. Columns are
    compared as :func:`column_key` writes them; those the flow does not list are dropped and reported.
    """
    flow = agreement.flow(partner, source)
    if flow is None:
        named = ", ".join(f"{f.partner}: {f.source}" for f in agreement.flows)
        raise FlowNotAgreedError(
            f"the agreement {agreement.name} does not cover {source} records from {partner}",
            hint=f"it covers {named}; vary the agreement, or choose one that covers this flow",
        )
    if agreement.dpia.outcome not in ("approved", "approved_with_conditions"):
        raise FlowNotAgreedError(
            f"the agreement {agreement.name}'s DPIA ({agreement.dpia.reference}) is {agreement.dpia.outcome}",
            hint="no records flow until the DPIA is approved; record its outcome in a variation",
        )
    warnings: list[str] = []
    overdue = (today - agreement.review_date).days
    if overdue > REVIEW_GRACE_DAYS:
        raise AgreementLapsedError(
            f"the agreement {agreement.name} was due for review on {agreement.review_date:%d %B %Y}, "
            f"{overdue} days ago; records no longer flow under it",
            hint="review the agreement with its parties and record the new review date in a variation",
        )
    if overdue > 0:
        stops = agreement.review_date + dt.timedelta(days=REVIEW_GRACE_DAYS)
        warnings.append(
            f"the agreement {agreement.name} was due for review on {agreement.review_date:%d %B %Y}; "
            f"flows stop on {stops:%d %B %Y} unless it is reviewed"
        )
    allowed = set(flow.fields)
    kept = tuple(c for c in columns if column_key(c) in allowed)
    dropped = tuple(c for c in columns if column_key(c) not in allowed)
    return FlowCheck(agreement.name, agreement.purpose, kept, dropped, tuple(warnings))
