"""What a person reads of the place's information-sharing agreements: the list with each one's status, and
one agreement whole (parties and roles, purpose, legal basis with its citations, flows and fields, retention,
DPIA, review, the national data opt-out, the decision log).

Each view's ``to_dict()`` is its page's data and ``.json`` twin; ``tables`` are what ``totalplace sharing``
prints. Words are chosen once here (``direct care``, ``joint controller``, ``12 January 2027``) so the page
and the command line say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from totalplace.engines.people.agreement import SharingAgreement
from totalplace.engines.people.sharing import AgreementDetail, AgreementSummary, LegalText
from totalplace.reports.command import CommandView
from totalplace.reports.table import TableView

PART_HEADINGS: Final[dict[str, str]] = {
    "powers": "Legal power to share",
    "article6": "Lawful basis (UK GDPR Article 6)",
    "article9": "Special-category condition (UK GDPR Article 9)",
    "schedule1": "Condition in UK law (DPA 2018 Schedule 1)",
}
AT_END: Final[dict[str, str]] = {
    "delete": "deleted",
    "anonymise": "anonymised",
    "review": "reviewed, then kept or deleted",
}


def words(value: str) -> str:
    """A code as words: ``joint_controller`` -> ``joint controller``."""
    return value.replace("_", " ")


def _day(value: object) -> str:
    """A date as a person reads it (``12 January 2027``)."""
    text = value.strftime("%d %B %Y") if hasattr(value, "strftime") else str(value)
    return text.lstrip("0")


def opt_out_words(summary: AgreementSummary) -> str:
    """Whether the national data opt-out applies, and the exemption relied on where it does not."""
    if summary.opt_out_applies:
        return "applies: NHS records of people who have opted out are left out at import"
    if summary.opt_out_exemption:
        return f"does not apply; the exemption relied on: {summary.opt_out_exemption}"
    return "does not apply"


def _summary_row(s: AgreementSummary) -> dict[str, Any]:
    return {
        **s.to_dict(),
        "purpose_label": words(s.purpose),
        "review_label": _day(s.review_date),
        "opt_out_label": "applies" if s.opt_out_applies else "does not apply",
        "href": f"/sharing/{s.name}",
    }


# -- the list ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgreementsView:
    """The place's agreements, each with its status, and whether the reader may add one."""

    agreements: tuple[AgreementSummary, ...]
    can_add: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's data."""
        return {"agreements": [_summary_row(s) for s in self.agreements], "can_add": self.can_add}

    @property
    def tables(self) -> tuple[TableView, ...]:
        """The list for the command line."""
        rows = [
            (
                s.name,
                words(s.purpose),
                str(len(s.parties)),
                _day(s.review_date),
                s.status_label,
                "applies" if s.opt_out_applies else "no",
                str(s.version),
            )
            for s in self.agreements
        ]
        columns = ("agreement", "purpose", "parties", "review date", "status", "opt-out", "version")
        return (TableView.of("Information-sharing agreements", columns, rows),)

    @property
    def headline(self) -> str:
        """One line over the table."""
        due = sum(s.status != "current" for s in self.agreements)
        if not self.agreements:
            return "No information-sharing agreements yet"
        count = f"{len(self.agreements)} agreement{'s' if len(self.agreements) != 1 else ''}"
        return f"{count}; {due} {'needs' if due == 1 else 'need'} attention" if due else count


def agreements_view(agreements: Sequence[AgreementSummary], *, can_add: bool) -> AgreementsView:
    """The list of agreements."""
    return AgreementsView(tuple(agreements), can_add)


# -- one agreement -----------------------------------------------------------------------------------------
def _legal_rows(legal: Sequence[LegalText]) -> list[dict[str, str]]:
    return [{**t.to_dict(), "heading": PART_HEADINGS[t.part]} for t in legal]


@dataclass(frozen=True, slots=True)
class AgreementView:
    """One agreement whole, with the links the reader may follow (its history; varying it)."""

    detail: AgreementDetail
    can_vary: bool
    history: str | None

    @property
    def agreement(self) -> SharingAgreement:
        """The agreement as written."""
        return self.detail.agreement

    def to_dict(self) -> dict[str, Any]:
        """The page's data: the engine's whole agreement, and the same in words."""
        a, s = self.agreement, self.detail.summary
        return {
            **self.detail.to_dict(),
            **_summary_row(s),
            "parties_shown": [{"partner": p.partner, "role": words(p.role)} for p in a.parties],
            "legal_shown": _legal_rows(self.detail.legal),
            "flows_shown": [
                {"partner": f.partner, "source": words(f.source), "fields": list(f.fields)} for f in a.flows
            ],
            "retention_label": f"{a.retention.months} months, then {AT_END[a.retention.at_end]}",
            "dpia_label": f"{a.dpia.reference}: {words(a.dpia.outcome)}",
            "opt_out_sentence": opt_out_words(s),
            "decisions_shown": [
                {"date": _day(d.date), "by": d.by, "decision": d.decision} for d in a.decisions
            ],
            "kept_label": f"version {self.detail.version.version} of {self.detail.versions}, kept by "
            f"{self.detail.version.created_by} on {self.detail.version.created_at[:10]}: "
            f"{self.detail.version.reason}",
            "can_vary": self.can_vary,
            "history": self.history,
        }

    @property
    def headline(self) -> str:
        """The agreement in one paragraph."""
        s = self.detail.summary
        return (
            f"{s.title} ({s.name}), for {words(s.purpose)}: {s.status_label}, {s.status_detail}. "
            f"Version {s.version}."
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """The agreement for the command line, table by table."""
        a, s = self.agreement, self.detail.summary
        terms = [
            ("Purpose", words(a.purpose)),
            ("Retention", f"{a.retention.months} months, then {AT_END[a.retention.at_end]}"),
            ("DPIA", f"{a.dpia.reference}: {words(a.dpia.outcome)}"),
            ("Review date", f"{_day(a.review_date)} ({s.status_label}: {s.status_detail})"),
            ("National data opt-out", opt_out_words(s)),
        ]
        legal = [(PART_HEADINGS[t.part], t.key, t.citation, t.url) for t in self.detail.legal]
        flows = [(f.partner, words(f.source), ", ".join(f.fields)) for f in a.flows]
        decisions = [(_day(d.date), d.by, d.decision) for d in a.decisions]
        return (
            TableView.of("Terms", ("", ""), terms),
            TableView.of("Parties", ("partner", "role"), [(p.partner, words(p.role)) for p in a.parties]),
            TableView.of("Legal basis", ("", "key", "citation", "legislation.gov.uk"), legal),
            TableView.of("Flows", ("from", "records", "fields"), flows),
            TableView.of("Decisions", ("date", "by", "decision"), decisions),
        )


def agreement_view(detail: AgreementDetail, *, can_vary: bool, history: str | None) -> AgreementView:
    """One agreement's page."""
    return AgreementView(detail, can_vary, history)


def kept_view(detail: AgreementDetail, verb: str) -> CommandView:
    """What ``sharing add`` or ``sharing vary`` prints: the version kept and the agreement's status."""
    s = detail.summary
    line = (
        f"{verb} {s.name} as version {s.version} ({s.status_label}: {s.status_detail}); "
        f"history: versions show sharing:{s.name}"
    )
    document = {**s.to_dict(), "kept": detail.version.to_dict(body=False)}
    return CommandView(document, line)
