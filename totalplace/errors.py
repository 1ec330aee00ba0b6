"""One root error for totalplace.

Every error the library raises on purpose is a :class:`TotalplaceError`. Each subclass carries a stable
``code`` (listed in ``docs/errors.md``), an HTTP status for the web app, and a message that says what went
wrong and what to do next. The CLI maps any of them to exit code 1 (2 for rejected imports); the web app
renders any of them as HTML or JSON with its status.
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


class CsrfError(TotalplaceError):
    """A form was posted without the token of the session that served it."""

    code = "TP202"
    http_status = 403


class StoreError(TotalplaceError):
    """The transactional store failed or is inconsistent."""

    code = "TP300"
    http_status = 500


class AuditChainError(TotalplaceError):
    """The audit log does not verify: a record was edited, deleted or reordered."""

    code = "TP301"
    http_status = 500


class BackendError(TotalplaceError):
    """An analytics backend failed to run a query or is not installed."""

    code = "TP400"
    http_status = 500


class ListenError(TotalplaceError):
    """``serve`` cannot listen on the address and port asked for (in use, or not allowed)."""

    code = "TP420"
    http_status = 500


@dataclass(frozen=True)
class RowProblem:
    """One problem found in an imported file, located to the row and column.

    ``row`` is the 1-based line (CSV) or row (XLSX) number as a spreadsheet shows it; 0 means the file as a
    whole. ``column`` is the header as written in the file, or "" when the problem is not about one column.
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


class AgreementInvalidError(TotalplaceError):
    """A pooled-fund agreement or variation file is not valid; ``problems`` names each line and field."""

    code = "TP600"
    http_status = 422

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        first = problems[0] if problems else None
        where = f"line {first.row}, {first.column}: " if first and first.row else ""
        super().__init__(
            f"{file} is not a valid agreement: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
            + (f"; first, {where}{first.message}" if first else ""),
            hint="fix the fields listed and try again; nothing was stored",
        )
        self.file = file
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


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


class SpecInvalidError(TotalplaceError):
    """A segmentation variable specification or a centroids file that cannot be used."""

    code = "TP700"
    http_status = 422


class SegmentationError(TotalplaceError):
    """Census data that cannot be classified as asked (too few areas, variables missing, bad k)."""

    code = "TP701"
    http_status = 422


class EstateError(TotalplaceError):
    """An estate question that cannot be answered (no assets of a type, no area centres)."""

    code = "TP710"
    http_status = 422


class CbaModelInvalidError(TotalplaceError):
    """An intervention model or unit-cost file is not valid; ``problems`` names each line and field."""

    code = "TP800"
    http_status = 422

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        first = problems[0] if problems else None
        where = f"line {first.row}, {first.column}: " if first and first.row else ""
        detail = f"{where}{first.message}" if first else ""
        super().__init__(
            f"{file} is not a valid model: {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
            f"first, {detail}",
            hint="fix the fields listed; nothing was stored",
        )
        self.file = file
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


class CbaError(TotalplaceError):
    """A cost-benefit question that cannot be answered as asked (no costs to divide by, an unknown method)."""

    code = "TP801"
    http_status = 422


class ImportRejectedError(TotalplaceError):
    """A file was refused; nothing was imported. ``problems`` lists every problem found."""

    code = "TP500"
    http_status = 422

    def __init__(self, file: str, problems: list[RowProblem]) -> None:
        count = len(problems)
        first = problems[0] if problems else None
        where = f"row {first.row}, {first.column}: " if first and first.row and first.column else ""
        detail = f"; first, {where}{first.message}" if first else ""
        super().__init__(
            f"{file} was not imported: {count} problem{'s' if count != 1 else ''} found{detail}",
            hint="fix the rows listed and import the file again; nothing from it was stored",
        )
        self.file = file
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out
