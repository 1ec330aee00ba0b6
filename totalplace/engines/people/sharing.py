"""Information-sharing agreements kept in the place: listed, read, added and varied as versioned records.

An agreement is a versioned object of kind ``sharing`` (its name, its YAML text as the body;
:mod:`totalplace.store.versions`): every change is a new version with who, when and why, audited, and the
earlier versions stay readable (``/history/sharing/NAME``). Before a version is kept the text must load as a
:class:`~totalplace.engines.people.agreement.SharingAgreement`, every party and flow must name a partner of
the place, and every legal key must be one of the cited legal bases
(``parameters/governance/legal_bases.yaml``) of the right part: a power, an Article 6 basis, an Article 9
condition and the Schedule 1 condition it needs. Each problem is refused naming its line and field.

Who may: ``sharing.read`` to read; ``sharing.change`` on the agreement as its parties make it
(``Resource("sharing", name, members=<party partner ids>)``), so a data protection officer held for one
partner changes only agreements that partner is party to. A variation is asked against both the parties in
force and the parties it would make: nobody takes a partner into, or out of, an agreement they are not party
to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal

import yaml

from totalplace.datasets.safe_yaml import decode
from totalplace.engines.people.agreement import (
    REVIEW_GRACE_DAYS,
    SharingAgreement,
    load_agreement,
)
from totalplace.engines.pool.files import line_of, parse_yaml
from totalplace.errors import (
    LegalBasisUnknownError,
    RowProblem,
    SharingAgreementExistsError,
    SharingAgreementInvalidError,
    SharingAgreementNotFoundError,
    SharingAgreementUnchangedError,
    SharingNameMismatchError,
    SharingPartyUnknownError,
)
from totalplace.governance.policy import Resource
from totalplace.parameters import load_parameter
from totalplace.store import versions
from totalplace.store.partners import list_partners

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

KIND: Final = "sharing"
LEGAL_BASES: Final = "governance/legal_bases.yaml"
# An agreement whose review date is this close (or past, within the grace period) is shown as due for review.
REVIEW_NOTICE_DAYS: Final = 30
_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # as SharingAgreement.name requires

Status = Literal["current", "review_due", "lapsed", "dpia_not_approved"]
STATUS_LABELS: Final[dict[str, str]] = {
    "current": "current",
    "review_due": "review due",
    "lapsed": "lapsed",
    "dpia_not_approved": "DPIA not approved",
}
LegalPart = Literal["powers", "article6", "article9", "schedule1"]
_PART_LABELS: Final[dict[str, str]] = {
    "powers": "legal power",
    "article6": "UK GDPR Article 6 basis",
    "article9": "UK GDPR Article 9 condition",
    "schedule1": "DPA 2018 Schedule 1 condition",
}


# -- the cited legal bases ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LegalText:
    """One cited legal basis: its key, which part of the law it is, and where a reader finds it."""

    key: str
    part: str
    title: str
    citation: str
    url: str
    summary: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {
            "key": self.key,
            "part": self.part,
            "title": self.title,
            "citation": self.citation,
            "url": self.url,
            "summary": self.summary,
        }


@cache
def legal_bases() -> dict[str, dict[str, LegalText]]:
    """The cited legal bases by part (powers, article6, article9, schedule1) and key."""
    body = load_parameter(LEGAL_BASES).body
    return {
        part: {
            key: LegalText(
                key,
                part,
                str(entry["title"]).strip(),
                str(entry["citation"]).strip(),
                str(entry["url"]).strip(),
                " ".join(str(entry.get("summary", "")).split()),
            )
            for key, entry in body[part].items()
        }
        for part in _PART_LABELS
    }


@cache
def _schedule1_needed() -> dict[str, tuple[str, ...]]:
    """For each Article 9 condition, the Schedule 1 conditions that meet it in UK law (DPA 2018 s10)."""
    body = load_parameter(LEGAL_BASES).body
    return {key: tuple(entry.get("schedule1") or ()) for key, entry in body["article9"].items()}


def cited(agreement: SharingAgreement) -> tuple[LegalText, ...]:
    """The legal texts an agreement relies on, in the order it names them (unknown keys left out)."""
    bases = legal_bases()
    legal = agreement.legal
    wanted: list[tuple[str, str | None]] = [("powers", p) for p in legal.powers]
    wanted += [("article6", legal.article6), ("article9", legal.article9), ("schedule1", legal.schedule1)]
    return tuple(bases[part][key] for part, key in wanted if key is not None and key in bases[part])


# -- what is shown -----------------------------------------------------------------------------------------
def agreement_status(agreement: SharingAgreement, today: dt.date) -> tuple[Status, str]:
    """The agreement's status on ``today`` and a sentence saying why.

    ``dpia_not_approved`` first (no flow runs without an approved DPIA), then ``lapsed`` (more than the grace
    period past the review date: flows are refused), ``review_due`` (the review date is within
    :data:`REVIEW_NOTICE_DAYS`, or past it within the grace period, when flows warn), else ``current``.
    """
    review, day = agreement.review_date, _day
    if agreement.dpia.outcome not in ("approved", "approved_with_conditions"):
        return "dpia_not_approved", f"its DPIA ({agreement.dpia.reference}) is {agreement.dpia.outcome}"
    overdue = (today - review).days
    stops = review + dt.timedelta(days=REVIEW_GRACE_DAYS)
    if overdue > REVIEW_GRACE_DAYS:
        return "lapsed", f"review was due on {day(review)}; records stopped flowing on {day(stops)}"
    if overdue > 0:
        return "review_due", f"review was due on {day(review)}; flows stop on {day(stops)}"
    if -overdue <= REVIEW_NOTICE_DAYS:
        return "review_due", f"review is due on {day(review)}, in {-overdue} days"
    return "current", f"next review on {day(review)}"


def _day(value: dt.date) -> str:
    """A date as a person reads it: ``2 March 2027``."""
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True, slots=True)
class AgreementSummary:
    """An agreement as a list shows it: what it is for, who is party, and whether it is in force."""

    name: str
    title: str
    purpose: str
    parties: tuple[str, ...]
    review_date: dt.date
    status: Status
    status_detail: str
    opt_out_applies: bool
    opt_out_exemption: str | None
    dpia_outcome: str
    version: int

    @property
    def status_label(self) -> str:
        """The status as a person reads it."""
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "title": self.title,
            "purpose": self.purpose,
            "parties": list(self.parties),
            "review_date": self.review_date.isoformat(),
            "status": self.status,
            "status_label": self.status_label,
            "status_detail": self.status_detail,
            "opt_out_applies": self.opt_out_applies,
            "opt_out_exemption": self.opt_out_exemption,
            "dpia_outcome": self.dpia_outcome,
            "version": self.version,
        }


def summarise(agreement: SharingAgreement, version: int, today: dt.date) -> AgreementSummary:
    """The summary of ``agreement`` (kept as ``version``) on ``today``."""
    status, detail = agreement_status(agreement, today)
    return AgreementSummary(
        agreement.name,
        agreement.title,
        agreement.purpose,
        tuple(p.partner for p in agreement.parties),
        agreement.review_date,
        status,
        detail,
        agreement.applies_opt_out,
        agreement.opt_out_exemption,
        agreement.dpia.outcome,
        version,
    )


@dataclass(frozen=True, slots=True)
class AgreementDetail:
    """An agreement whole: its summary, the agreement as written, the legal texts it cites, and the version
    shown (with who kept it, when and why) out of how many."""

    summary: AgreementSummary
    agreement: SharingAgreement
    legal: tuple[LegalText, ...]
    version: Version
    versions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary's fields, the agreement's and the version's."""
        return {
            **self.summary.to_dict(),
            "agreement": self.agreement.model_dump(mode="json"),
            "legal_texts": [t.to_dict() for t in self.legal],
            "kept": self.version.to_dict(body=False),
            "versions": self.versions,
            "yaml": self.version.body,
        }


# -- reading -----------------------------------------------------------------------------------------------
def sharing_resource(name: str, members: Iterable[int] = ()) -> Resource:
    """The agreement as the access policy sees it: its parties are its members."""
    return Resource(KIND, name, members=frozenset(members))


def list_agreements(
    place: Place, principal: Principal, today: dt.date | None = None
) -> tuple[AgreementSummary, ...]:
    """Every agreement kept in the place, by name, as it stands on ``today`` (default: today)."""
    principal.require("sharing.read", Resource(KIND))
    day = today or dt.date.today()
    with place.read() as conn:
        kept = versions.currents(conn, KIND)
    return tuple(summarise(load_agreement(v.body, f"{v.name}.yaml"), v.version, day) for v in kept)


def get_agreement(
    place: Place, principal: Principal, name: str, number: int | None = None, today: dt.date | None = None
) -> AgreementDetail:
    """Agreement ``name`` whole (version ``number``, default the one in force); TP905 naming the known."""
    principal.require("sharing.read", sharing_resource(name))
    with place.read() as conn:
        found = _kept(conn, name)
        kept = found if number is None or number == found.version else _version(conn, name, number)
    agreement = load_agreement(kept.body, f"{name}.yaml")
    summary = summarise(agreement, kept.version, today or dt.date.today())
    return AgreementDetail(summary, agreement, cited(agreement), kept, found.version)


def _kept(conn: Connection, name: str) -> Version:
    """The version in force of agreement ``name``, or TP905 naming the place's agreements."""
    found = versions.current(conn, KIND, name) if _NAME.match(name) else None
    if found is None:
        known = ", ".join(v.name for v in versions.currents(conn, KIND)) or "none yet"
        raise SharingAgreementNotFoundError(
            f"no information-sharing agreement {name[:64]!r}", hint=f"the place's agreements: {known}"
        )
    return found


def _version(conn: Connection, name: str, number: int) -> Version:
    """Version ``number`` of agreement ``name``, or TP905 saying which versions there are."""
    found = next((v for v in versions.history(conn, KIND, name) if v.version == number), None)
    if found is None:
        latest = _kept(conn, name).version
        raise SharingAgreementNotFoundError(
            f"the agreement {name} has no version {number}", hint=f"its versions are 1 to {latest}"
        )
    return found


# -- changing ----------------------------------------------------------------------------------------------
def agreement_resource(conn: Connection, name: str) -> Resource:
    """Agreement ``name`` as the policy sees it now: its parties in force (none when it is not kept yet)."""
    kept = versions.current(conn, KIND, name) if _NAME.match(name) else None
    if kept is None:
        return sharing_resource(name)
    return sharing_resource(name, _party_ids(load_agreement(kept.body, f"{name}.yaml"), _partner_ids(conn)))


def add_agreement(
    place: Place, principal: Principal, text: str | bytes, file: str, reason: str
) -> AgreementDetail:
    """Keep a new agreement as version 1, if ``principal`` may change an agreement between its parties.

    Refused: a name already kept (TP904: vary it), an agreement that does not load (TP903), a party or flow
    naming a partner the place does not have (TP906), a legal key the cited legal bases lack (TP907); each
    problem with its line and field, nothing kept.
    """
    principal.require_any("sharing.change")  # the early check; the parties decide below
    _need_reason(reason)
    body = decode(text, file)
    with place.read() as conn:
        agreement, ids = _checked(conn, body, file)
        if versions.current(conn, KIND, agreement.name) is not None:
            raise SharingAgreementExistsError(
                f"an information-sharing agreement {agreement.name} is already kept",
                hint="vary it with the new text, or give the new agreement another name",
            )
    resource = sharing_resource(agreement.name, _party_ids(agreement, ids))
    principal.require("sharing.change", resource)
    with place.begin() as conn:
        if versions.current(conn, KIND, agreement.name) is not None:  # again, in the writing transaction
            raise SharingAgreementExistsError(
                f"an information-sharing agreement {agreement.name} was just kept"
            )
        kept = versions.add(
            conn,
            kind=KIND,
            name=agreement.name,
            body=body,
            owner_id=None,
            actor=principal.username,
            reason=reason.strip(),
        )
    return _detail(agreement, kept, kept.version)


def vary_agreement(
    place: Place,
    principal: Principal,
    name: str,
    text: str | bytes,
    file: str,
    reason: str,
    *,
    restored_from: int | None = None,
) -> AgreementDetail:
    """Keep ``text`` as the next version of agreement ``name``, if ``principal`` may change it as its parties
    stand now and as the variation would leave them.

    Refused as :func:`add_agreement` refuses, and: no such agreement (TP905), a text naming another agreement
    (TP908), a text the same as the version in force (TP909; a restore always keeps a version).
    """
    principal.require_any("sharing.change")
    _need_reason(reason)
    body = decode(text, file)
    with place.read() as conn:
        _kept(conn, name)  # TP905 naming the known
        principal.require("sharing.change", agreement_resource(conn, name))
        agreement, ids = _checked(conn, body, file, name=name)
    principal.require("sharing.change", sharing_resource(name, _party_ids(agreement, ids)))
    with place.begin() as conn:
        now = _kept(conn, name)
        principal.require("sharing.change", agreement_resource(conn, name))  # as it stands when written
        if now.body == body and restored_from is None:
            raise SharingAgreementUnchangedError(
                f"the text is the same as version {now.version} of {name}, so nothing was kept",
                hint="change what the variation is for (the review date, a flow, a decision) and send it",
            )
        kept = versions.add(
            conn,
            kind=KIND,
            name=name,
            body=body,
            owner_id=None,
            actor=principal.username,
            reason=reason.strip(),
            restored_from=restored_from,
        )
    return _detail(agreement, kept, kept.version)


def _detail(agreement: SharingAgreement, kept: Version, count: int) -> AgreementDetail:
    summary = summarise(agreement, kept.version, dt.date.today())
    return AgreementDetail(summary, agreement, cited(agreement), kept, count)


def _need_reason(reason: str) -> None:
    """A change to an agreement says why: it is kept in the agreement's history and audit trail."""
    if not reason.strip():
        from totalplace.errors import RequestInvalidError

        raise RequestInvalidError(
            [
                {
                    "parameter": "reason",
                    "message": "say why the agreement is added or varied (kept in its history)",
                }
            ]
        )


def _partner_ids(conn: Connection) -> dict[str, int]:
    return {p.name: p.id for p in list_partners(conn)}


def _party_ids(agreement: SharingAgreement, ids: dict[str, int]) -> frozenset[int]:
    """The partner ids of the agreement's parties (one no longer a partner of the place counts as none)."""
    return frozenset(ids[p.partner] for p in agreement.parties if p.partner in ids)


# -- checking ----------------------------------------------------------------------------------------------
_REFUSALS: Final = {
    cls.code: cls for cls in (SharingNameMismatchError, SharingPartyUnknownError, LegalBasisUnknownError)
}


def _checked(
    conn: Connection, body: str, file: str, *, name: str | None = None
) -> tuple[SharingAgreement, dict[str, int]]:
    """The agreement in ``body`` checked against the place (its partners) and the cited legal bases, and the
    place's partner ids by name; every problem located to its line and field."""
    _data, node = parse_yaml(body, file, SharingAgreementInvalidError)
    agreement = load_agreement(body, file)
    ids = _partner_ids(conn)
    problems: list[RowProblem] = []
    if name is not None and agreement.name != name:
        problems.append(
            RowProblem(
                SharingNameMismatchError.code,
                file,
                line_of(node, ("name",)),
                "name",
                agreement.name,
                f"this is the agreement {name}: its text must keep the name {name}",
            )
        )
    problems += party_problems(agreement, node, ids, file)
    problems += legal_problems(agreement, node, file)
    if problems:
        raise _REFUSALS[problems[0].code](file, problems)
    return agreement, ids


def party_problems(
    agreement: SharingAgreement, node: yaml.Node | None, ids: dict[str, int], file: str
) -> list[RowProblem]:
    """A problem for each party or flow naming a partner the place does not have, listing those it has."""
    known = ", ".join(sorted(ids)) or "none yet"
    code = SharingPartyUnknownError.code
    named = [(("parties", i, "partner"), p.partner) for i, p in enumerate(agreement.parties)]
    named += [(("flows", i, "partner"), f.partner) for i, f in enumerate(agreement.flows)]
    return [
        RowProblem(
            code,
            file,
            line_of(node, path),
            ".".join(map(str, path)),
            partner,
            f"{partner} is not a partner of the place; its partners are: {known}",
        )
        for path, partner in named
        if partner not in ids
    ]


def legal_problems(agreement: SharingAgreement, node: yaml.Node | None, file: str) -> list[RowProblem]:
    """A problem for each legal key the cited legal bases lack (or has in another part), listing the known
    ones of its part; and an Article 9 condition without the Schedule 1 condition UK law needs for it."""
    legal = agreement.legal
    named: list[tuple[tuple[str | int, ...], LegalPart, str | None]] = [
        (("legal", "powers", i), "powers", p) for i, p in enumerate(legal.powers)
    ]
    named += [
        (("legal", "article6"), "article6", legal.article6),
        (("legal", "article9"), "article9", legal.article9),
        (("legal", "schedule1"), "schedule1", legal.schedule1),
    ]
    bases = legal_bases()
    problems = [
        _unknown_key(file, line_of(node, path), ".".join(map(str, path)), part, key)
        for path, part, key in named
        if key is not None and key not in bases[part]
    ]
    return problems + _schedule1_problems(agreement, node, file)


def _unknown_key(file: str, line: int, where: str, part: LegalPart, key: str) -> RowProblem:
    """An unknown legal key: which part it was looked for in, where it is if elsewhere, and the known ones."""
    bases = legal_bases()
    elsewhere = next((p for p in bases if key in bases[p]), None)
    also = f" ({key} is a {_PART_LABELS[elsewhere]}, not a {_PART_LABELS[part]})" if elsewhere else ""
    message = (
        f"{key} is not a {_PART_LABELS[part]} of the cited legal bases{also}; known: {', '.join(bases[part])}"
    )
    return RowProblem(LegalBasisUnknownError.code, file, line, where, key, message)


def _schedule1_problems(agreement: SharingAgreement, node: yaml.Node | None, file: str) -> list[RowProblem]:
    """The Schedule 1 condition an Article 9 condition needs in UK law (DPA 2018 s10), when it is missing or
    is not one that meets it."""
    article9, schedule1 = agreement.legal.article9, agreement.legal.schedule1
    needed = _schedule1_needed().get(article9 or "", ())
    # An unknown Schedule 1 key is reported as unknown already; a known one that meets the condition is fine.
    unknown = schedule1 is not None and schedule1 not in legal_bases()["schedule1"]
    if not needed or schedule1 in needed or unknown:
        return []
    path = ("legal", "schedule1") if schedule1 is not None else ("legal", "article9")
    return [
        RowProblem(
            LegalBasisUnknownError.code,
            file,
            line_of(node, path),
            ".".join(path),
            schedule1 or "",
            f"{article9} needs one of these DPA 2018 Schedule 1 conditions in legal.schedule1: "
            + ", ".join(needed),
        )
    ]
