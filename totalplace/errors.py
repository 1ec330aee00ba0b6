"""One root error for totalplace.

Every error the library raises on purpose is a :class:`TotalplaceError`. Each subclass carries a stable
``code`` (listed in ``docs/errors.md``), an HTTP status for the web app, and a message that says what went
wrong and what to do next. Input refused whole (a file, a document, a model, a request's fields) is an
:class:`InputRefusedError` listing every problem found. The CLI maps any error to exit code 1 (2 for refused
input and refused SQL); the web app renders any of them as HTML or JSON with its status.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


class TotalplaceError(Exception):
    """Root of every error totalplace raises on purpose."""

    code: ClassVar[str] = "TP000"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready mapping (used by ``--json`` and the web app)."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigurationError(TotalplaceError):
    """A setting or place.toml value is missing or wrong."""

    code = "TP100"
    http_status = 500


class PlaceNotFoundError(TotalplaceError):
    """No place directory where one was expected."""

    code = "TP101"
    http_status = 404


class PlaceExistsError(TotalplaceError):
    """``init`` was pointed at a directory that already holds a place."""

    code = "TP102"
    http_status = 409


class NotFoundError(TotalplaceError):
    """A named object (partner, batch, user, area) does not exist."""

    code = "TP104"
    http_status = 404


class ConflictError(TotalplaceError):
    """The object already exists or the change conflicts with the current state."""

    code = "TP105"
    http_status = 409


class InvalidInputError(TotalplaceError):
    """An argument given by the user is not valid."""

    code = "TP106"
    http_status = 400


@dataclass(frozen=True)
class RowProblem:
    """One problem found in refused input, located to the row and column.

    ``row`` is the 1-based line (CSV, YAML) or row (XLSX) number as a spreadsheet or editor shows it; 0 means
    the input as a whole. ``column`` is the header as written in the file (or the field, or the request
    parameter), or "" when the problem is not about one column.
    """

    code: str
    file: str
    row: int
    column: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-ready mapping."""
        return asdict(self)


class InputRefusedError(TotalplaceError):
    """Input refused whole, with every problem found in it; nothing from it was stored.

    The one shape of every refusal of what a person supplied (a file, a document, a model, a request's
    fields): ``file`` names the input and ``problems`` lists each :class:`RowProblem`. The web app answers
    422 with the problems, the CLI exits 2 and draws them as a table (DESIGN.md §5). Each subclass keeps its
    own code and says in its message what was refused.
    """

    code = "TP110"
    http_status = 422
    # How the CLI heads the two columns that place a problem: rows and columns of a table, or the lines and
    # fields of a document.
    place_headers: ClassVar[tuple[str, str]] = ("row", "column")
    default_hint: ClassVar[str] = "fix the problems listed and try again; nothing was stored"

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        super().__init__(self.summary(file, problems), hint=self.default_hint)
        self.file = file
        self.problems = problems

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        """The message: what was refused, and the first problem."""
        first = problems[0] if problems else None
        return f"{file} was refused: {first.message if first else 'it cannot be read'}"

    def problem_dict(self, problem: RowProblem) -> dict[str, Any]:
        """One problem as ``to_dict`` lists it."""
        return problem.to_dict()

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [self.problem_dict(p) for p in self.problems]
        return out


def _count(problems: list[RowProblem]) -> str:
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"


class RequestInvalidError(InputRefusedError):
    """A request's parameter or form field is missing or of the wrong type; ``problems`` names each one
    (as ``{"parameter", "message"}``, never echoing what was sent)."""

    code = "TP108"
    place_headers = ("row", "parameter")
    default_hint = "correct the parameters named and send the request again"

    def __init__(self, problems: list[dict[str, str]]) -> None:
        found = [RowProblem(self.code, "request", 0, p["parameter"], "", p["message"]) for p in problems]
        super().__init__("request", found)

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        first = problems[0] if problems else RowProblem(cls.code, file, 0, "?", "", "not valid")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return f"{first.column}: {first.message}{more}"

    def problem_dict(self, problem: RowProblem) -> dict[str, Any]:
        return {"parameter": problem.column, "message": problem.message}


class DocumentRefusedError(InputRefusedError):
    """A YAML or JSON document a user supplied was refused before it was read: not YAML or JSON, a key
    written twice, nested too deeply, too large. ``problems`` names the key, line and reason (TP554-TP559)."""

    code = "TP114"
    place_headers = ("line", "field")
    default_hint = "fix the file and try again; nothing was stored"

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        first = problems[0] if problems else None
        where = f"line {first.row}: " if first and first.row else ""
        return f"{file} was refused: {where}{first.message if first else 'it cannot be read'}"


class ImportRejectedError(InputRefusedError):
    """A file was refused; nothing was imported. ``problems`` lists every problem found."""

    code = "TP500"
    default_hint = "fix the rows listed and import the file again; nothing from it was stored"

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        first = problems[0] if problems else None
        where = f"row {first.row}, {first.column}: " if first and first.row and first.column else ""
        detail = f"; first, {where}{first.message}" if first else ""
        return f"{file} was not imported: {_count(problems)} found{detail}"


class AgreementInvalidError(InputRefusedError):
    """A pooled-fund agreement or variation file is not valid; ``problems`` names each line and field."""

    code = "TP600"
    place_headers = ("line", "field")
    default_hint = "fix the fields listed and try again; nothing was stored"

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        first = problems[0] if problems else None
        where = f"line {first.row}, {first.column}: " if first and first.row else ""
        return f"{file} is not a valid agreement: {_count(problems)}" + (
            f"; first, {where}{first.message}" if first else ""
        )


class CbaModelInvalidError(InputRefusedError):
    """An intervention model or unit-cost file is not valid; ``problems`` names each line and field."""

    code = "TP800"
    place_headers = ("line", "field")
    default_hint = "fix the fields listed; nothing was stored"

    @classmethod
    def summary(cls, file: str, problems: list[RowProblem]) -> str:
        first = problems[0] if problems else None
        where = f"line {first.row}, {first.column}: " if first and first.row else ""
        detail = f"{where}{first.message}" if first else ""
        return f"{file} is not a valid model: {_count(problems)}; first, {detail}"


class UnsafeNameError(TotalplaceError):
    """A name given in an address or a command cannot name anything: a path, control characters, too long."""

    code = "TP109"
    http_status = 400


class WorkerCountError(ConfigurationError):
    """``serve --workers`` or ``TOTALPLACE_WORKERS`` is not a number of processes the server can run."""

    code = "TP120"
    http_status = 400


class AuthenticationError(TotalplaceError):
    """Wrong user name or password, or no valid session."""

    code = "TP200"
    http_status = 401


class PermissionDeniedError(TotalplaceError):
    """The user's roles do not allow this action."""

    code = "TP201"
    http_status = 403


class PartnerRequiredError(TotalplaceError):
    """An action on something that belongs to a partner (a posting, a batch, a statement) named no partner."""

    code = "TP207"
    http_status = 422


class CsrfError(TotalplaceError):
    """A form was posted without the token of the session that served it."""

    code = "TP202"
    http_status = 403


class LoginThrottledError(TotalplaceError):
    """Too many wrong passwords in a row for a user name or from an address: wait ``retry_after`` seconds."""

    code = "TP204"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["retry_after_seconds"] = self.retry_after
        return out


class RequestTooLargeError(TotalplaceError):
    """A request body (an upload or a form) larger than its limit; refused before or while it is read."""

    code = "TP205"
    http_status = 413


class UploadFormError(TotalplaceError):
    """An upload that is not a well-formed multipart form (no boundary, a part without a name, too many)."""

    code = "TP206"
    http_status = 400


class StoreError(TotalplaceError):
    """The transactional store failed or is inconsistent."""

    code = "TP300"
    http_status = 500


class AuditChainError(TotalplaceError):
    """The audit log does not verify: a record was edited, deleted or reordered."""

    code = "TP301"
    http_status = 500


class KeyMissingError(TotalplaceError):
    """A key kept outside the store (the audit key, later the pseudonym keys) is not where it should be."""

    code = "TP302"
    http_status = 500


class KeyPermissionError(TotalplaceError):
    """A key file can be read or changed by other users of the machine, so it is refused."""

    code = "TP303"
    http_status = 500


class KeyInvalidError(TotalplaceError):
    """A key file or key setting does not hold a key (hex text of at least 32 bytes)."""

    code = "TP304"
    http_status = 500


class AuditAnchorError(TotalplaceError):
    """The audit anchor file beside the place cannot be read or written."""

    code = "TP305"
    http_status = 500


class StoreInUseError(TotalplaceError):
    """The database named for a new place already holds a place's records."""

    code = "TP306"
    http_status = 409


class VersionNotFoundError(NotFoundError):
    """A versioned object (KIND:NAME), or a version of one, that the store does not hold."""

    code = "TP310"
    http_status = 404


class OwnerUnclearError(TotalplaceError):
    """A new model made by someone who may change the models of several partners, without saying whose."""

    code = "TP311"
    http_status = 422


class BackendError(TotalplaceError):
    """An analytics backend failed to run a query or is not installed."""

    code = "TP400"
    http_status = 500


class QueryRefusedError(TotalplaceError):
    """SQL that is not exactly one read-only SELECT (several statements, or COPY, ATTACH, PRAGMA, SET,
    INSTALL, LOAD or any other statement); nothing was run."""

    code = "TP410"
    http_status = 400


class QueryFunctionRefusedError(QueryRefusedError):
    """A query that calls a table function, or a function that reads files or the system; nothing was run."""

    code = "TP411"


class QueryTableRefusedError(QueryRefusedError):
    """A query that reads a table that is not one of the place's views (a file, another database)."""

    code = "TP412"


class OperatorSqlRefusedError(QueryRefusedError):
    """``operator sql`` without its confirmation, or a statement that would write into the place's data."""

    code = "TP413"


class SandboxRefusedError(BackendError):
    """The locked analytics connection refused to touch a file outside the place's batches."""

    code = "TP414"
    http_status = 403


class ListenError(TotalplaceError):
    """``serve`` cannot listen on the address and port asked for (in use, or not allowed)."""

    code = "TP420"
    http_status = 500


class IdempotencyKeyReusedError(TotalplaceError):
    """An idempotency key was sent again with a different transaction than the one first posted under it."""

    code = "TP601"
    http_status = 409


class BudgetExceededError(TotalplaceError):
    """An allocation would take a scheme past its budget for the year."""

    code = "TP602"
    http_status = 409


class YearSettledError(TotalplaceError):
    """A posting falls in a financial year whose settlement has already been posted."""

    code = "TP603"
    http_status = 409


class UnbalancedTransactionError(TotalplaceError):
    """A transaction's entries do not net to zero (a defect in the caller, never stored)."""

    code = "TP604"
    http_status = 400


class LedgerInconsistentError(StoreError):
    """Stored balances disagree with the postings, or a settlement identity does not hold."""

    code = "TP605"
    http_status = 500


class LedgerLimitError(TotalplaceError):
    """A movement, posting or balance would pass the ledger's bounds (kept so every sum stays in 64 bits)."""

    code = "TP606"
    http_status = 422


class SettlementTooEarlyError(TotalplaceError):
    """A year is settled before its last day without saying it is early and why."""

    code = "TP607"
    http_status = 409


class ReasonRequiredError(TotalplaceError):
    """A change to money that must say why (an early settlement, a reopening, a post-term adjustment) has no
    reason."""

    code = "TP608"
    http_status = 422


class PostTermAdjustmentError(TotalplaceError):
    """A post-term adjustment before the pool's last year is settled, or dated inside the term."""

    code = "TP609"
    http_status = 409


class SpecInvalidError(TotalplaceError):
    """A segmentation variable specification or a centroids file that cannot be used."""

    code = "TP700"
    http_status = 422


class SegmentationError(TotalplaceError):
    """Census data that cannot be classified as asked (too few areas, variables missing, bad k)."""

    code = "TP701"
    http_status = 422


class CensusTableNotInSpecError(InvalidInputError):
    """A census file holds none of the tables a specification reads (``closest``: the table sharing most of
    its categories, ``overlap``: the share of that table's needed categories the file holds)."""

    code = "TP702"
    http_status = 422

    def __init__(
        self, message: str, *, hint: str | None = None, closest: str | None = None, overlap: float = 0.0
    ):
        super().__init__(message, hint=hint)
        self.closest = closest
        self.overlap = overlap


class PartialVariablesError(SegmentationError):
    """A classification or assignment would rest on less than the stated share of its variables."""

    code = "TP703"


class LabelsInvalidError(SpecInvalidError):
    """A published classification's labels file (area code, label) cannot be compared."""

    code = "TP704"


class EstateError(TotalplaceError):
    """An estate question that cannot be answered (no assets of a type, no area centres)."""

    code = "TP710"
    http_status = 422


class CbaError(TotalplaceError):
    """A cost-benefit question that cannot be answered as asked (no costs to divide by, an unknown method)."""

    code = "TP801"
    http_status = 422


class SharingError(TotalplaceError):
    """Records about people cannot flow as asked: no sharing agreement covers them (TP900-919)."""

    code = "TP900"
    http_status = 403


class AgreementLapsedError(SharingError):
    """The sharing agreement is past its review date and its grace period: records no longer flow under it."""

    code = "TP901"


class FlowNotAgreedError(SharingError):
    """The sharing agreement does not cover this flow (partner and kind of records), or its DPIA is not
    approved."""

    code = "TP902"


class SharingAgreementInvalidError(InputRefusedError):
    """A sharing agreement's YAML is not valid; ``problems`` names each line and field."""

    code = "TP903"
    place_headers = ("line", "field")
    default_hint = "fix the fields listed; nothing was stored"


class SharingAgreementExistsError(ConflictError):
    """An agreement of that name is already kept: vary it instead of adding it again."""

    code = "TP904"


class SharingAgreementNotFoundError(NotFoundError):
    """No information-sharing agreement of that name (or no such version of it) is kept in the place."""

    code = "TP905"


class SharingPartyUnknownError(InputRefusedError):
    """An agreement names a party (or a flow's partner) that is not a partner of the place."""

    code = "TP906"
    place_headers = ("line", "field")
    default_hint = "name only partners of the place (or add the partner first); nothing was stored"


class LegalBasisUnknownError(InputRefusedError):
    """An agreement's legal basis names a key the cited legal bases do not hold (or one of the wrong kind)."""

    code = "TP907"
    place_headers = ("line", "field")
    default_hint = "use the keys of the legal bases listed (docs/people.md); nothing was stored"


class SharingNameMismatchError(InputRefusedError):
    """A variation's text names a different agreement from the one being varied."""

    code = "TP908"
    place_headers = ("line", "field")
    default_hint = "keep the agreement's name in its text; a new name is a new agreement, added on its own"


class SharingAgreementUnchangedError(ConflictError):
    """A variation whose text is the same as the version in force: there is nothing to keep."""

    code = "TP909"


class ProfileError(TotalplaceError):
    """A person's or household's profile cannot be shown as asked (TP960-969)."""

    code = "TP960"
    http_status = 400


class PersonNotFoundError(ProfileError):
    """No person (or household) with that id among the people linked for the purpose."""

    code = "TP961"
    http_status = 404


class RevealReasonRequiredError(ProfileError):
    """Seeing a person's identifiable profile needs a reason, recorded in the audit trail."""

    code = "TP962"
    http_status = 422


class PeopleNotLinkedError(ProfileError):
    """The place has no linked people for the purpose yet (records not imported, or linkage not run)."""

    code = "TP963"
    http_status = 409


class UnknownPurposeError(ProfileError):
    """The purpose asked for is not one a sharing agreement can have."""

    code = "TP964"
    http_status = 400


class NoAgreementError(SharingError):
    """A flow of records about people names a sharing agreement the place does not hold."""

    code = "TP920"
    http_status = 404


class PseudonymKeyChangedError(TotalplaceError):
    """A purpose's pseudonym key is not the one whose generation the place recorded (a key file or variable
    changed without ``keys rotate``): records pseudonymised with it would not link with those already held."""

    code = "TP921"
    http_status = 409


class OptOutListMissingError(TotalplaceError):
    """Records covered by the national data opt-out cannot be imported: no current list of the NHS numbers
    that may be used (none imported, expired, or made under an earlier opt-out key)."""

    code = "TP922"
    http_status = 409


class PeopleReasonRequiredError(TotalplaceError):
    """A pseudonym key is rotated, or a person's identifiable values are asked for, without a reason to
    record."""

    code = "TP923"
    http_status = 422


class PseudonymPurposeError(InvalidInputError):
    """A pseudonym key is asked for a purpose that has none."""

    code = "TP924"


class LinkageError(TotalplaceError):
    """Records cannot be linked into people as asked (TP940-949)."""

    code = "TP940"
    http_status = 422


class LinkageRecordsError(LinkageError):
    """The records to link lack a column linkage needs (``record_id``, ``source``, the ``mk_*`` keys),
    repeat a record id, or are too few to train on."""

    code = "TP941"


class LinkModelInvalidError(LinkageError):
    """A saved linkage model is not a trained Splink model this version can use."""

    code = "TP942"


class LinkageBackendError(LinkageError):
    """The linkage backend asked for is unknown or not installed (Spark needs ``totalplace[spark]``)."""

    code = "TP943"
    http_status = 500


class AccuracyLabelsError(LinkageError):
    """Linkage accuracy cannot be measured: the true-entity labels are missing for some records."""

    code = "TP944"


class LinkageRunError(TotalplaceError):
    """Records cannot be linked into people as asked (TP950-959)."""

    code = "TP950"
    http_status = 409


class StableIdError(LinkageRunError):
    """A person or household id is not of its form (``P`` or ``H`` and seven digits)."""

    code = "TP951"
    http_status = 422


class NoPersonRecordsError(LinkageRunError):
    """There are no records about people held for the purpose, so there is nothing to link."""

    code = "TP952"


class NoLinkModelError(LinkageRunError):
    """No linkage model has been trained for the purpose."""

    code = "TP953"


class NoLinkRunError(LinkageRunError):
    """Records for the purpose have not been linked into people yet."""

    code = "TP954"
    http_status = 404


class LabelsUnavailableError(LinkageRunError):
    """The true person ids asked for to evaluate the linkage are not in the records or the labels file."""

    code = "TP955"
    http_status = 422


class ThresholdInvalidError(LinkageRunError):
    """A match-probability threshold outside (0, 1)."""

    code = "TP956"
    http_status = 422
