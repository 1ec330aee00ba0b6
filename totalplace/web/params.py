"""Reading a request's query and path parameters: each checked before any engine sees it.

Every value a route takes from its address passes through one of these functions and comes out a bounded
whole number, one of a known set, or short printable text; anything else is a coded 4xx naming the parameter
(TP106, or TP109 for a name that could not name anything). Names that select something (a pool, a model, an
indicator) are then looked up in the store by the engine, which answers 404 for one it does not hold; no
route opens a file whose path comes from a request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Final, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from totalplace.errors import (
    InvalidInputError,
    NotFoundError,
    RequestInvalidError,
    TotalplaceError,
    UnsafeNameError,
)
from totalplace.store.areas import AREA_LEVELS

MAX_ID: Final = 2**63 - 1
"""The largest id the stores hold (a signed 64-bit integer)."""
MAX_TEXT: Final = 200
"""The longest text a query parameter may carry (a supplier's name, a filter)."""
MAX_NAME: Final = 100
"""The longest name in an address (pools, models, segmentations, indicators, partners)."""
_FINANCIAL_YEAR: Final = re.compile(r"^\d{4}-\d{2}$")
_UNSAFE_IN_NAME: Final = ("/", "\\", "..")

T = TypeVar("T", bound=str)


def _clean(text: str, name: str, longest: int) -> str:
    """``text`` if it is at most ``longest`` characters with no control character, else TP106."""
    if len(text) > longest:
        raise InvalidInputError(f"{name} is longer than {longest} characters", hint=f"shorten {name}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise InvalidInputError(f"{name} holds control characters", hint=f"write {name} as plain text")
    return text


def text(request: Request, name: str, *, longest: int = MAX_TEXT) -> str | None:
    """The query parameter ``name`` as plain text (None when absent or empty)."""
    raw = request.query_params.get(name)
    return _clean(raw, name, longest) if raw else None


def whole(request: Request, name: str, default: int, low: int, high: int) -> int:
    """The query parameter ``name`` as a whole number between ``low`` and ``high`` (``default`` if absent)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    text_ = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,19}", text_):
        raise InvalidInputError(
            f"{name} must be a whole number", hint=f"a whole number from {low:,} to {high:,}"
        )
    value = int(text_)
    if not low <= value <= high:
        raise InvalidInputError(f"{name} must be from {low:,} to {high:,}", hint=f"not {value:,}")
    return value


def choice(request: Request, name: str, choices: Collection[T], default: T | None = None) -> T | None:
    """The query parameter ``name``, which must be one of ``choices`` (``default`` when absent or empty)."""
    raw = request.query_params.get(name)
    if not raw:
        return default
    for option in choices:
        if raw == option:
            return option
    raise InvalidInputError(
        f"{name} is not one of the values it may take", hint=f"{name} is one of: {', '.join(sorted(choices))}"
    )


def level(request: Request, default: str = "lsoa") -> str:
    """The ``level`` query parameter: one of the area levels (oa, lsoa, msoa, ward, la)."""
    return choice(request, "level", AREA_LEVELS, default) or default


def financial_year(request: Request, name: str = "year") -> str | None:
    """A financial-year label such as 2024-25 (None when absent); its consistency is the engine's to check."""
    raw = text(request, name, longest=7)
    if raw is not None and not _FINANCIAL_YEAR.match(raw):
        raise InvalidInputError(f"{name} is not a financial year", hint='write it like "2024-25"')
    return raw


def safe_name(value: str, what: str = "name") -> str:
    """A name from an address (or a form) that could name a stored thing: printable, at most 100 characters,
    no path separators or ``..``; else TP109, whether or not a file of that name exists anywhere."""
    if (
        not value
        or len(value) > MAX_NAME
        or any(part in value for part in _UNSAFE_IN_NAME)
        or any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value)
    ):
        raise UnsafeNameError(
            f"that {what} cannot name anything here",
            hint=f"a {what} is at most {MAX_NAME} printable characters, without / \\ or ..",
        )
    return value


def path_name(request: Request, name: str, what: str | None = None) -> str:
    """The path parameter ``name``, checked by :func:`safe_name`."""
    return safe_name(str(request.path_params[name]), what or name)


def path_id(request: Request, name: str) -> int:
    """The path parameter ``name`` as a positive id that fits the store (TP104 otherwise: no such thing)."""
    raw = str(request.path_params[name])
    if not re.fullmatch(r"\d{1,19}", raw) or not 0 < int(raw) <= MAX_ID:
        raise NotFoundError(
            f"no {name.replace('_', ' ')} {raw[:40]!r}", hint="ids are positive whole numbers"
        )
    return int(raw)


def request_invalid(error: RequestValidationError) -> RequestInvalidError:
    """FastAPI's own validation failure (a missing form field, a path id that is not a number) as TP108,
    naming each parameter without echoing what was sent."""
    problems = []
    for item in error.errors():
        where = [str(part) for part in item.get("loc", ()) if part not in ("query", "path", "body", "form")]
        problems.append(
            {"parameter": ".".join(where) or "request", "message": str(item.get("msg", "not valid"))[:200]}
        )
    return RequestInvalidError(problems)


def http_error(status: int) -> TotalplaceError:
    """The coded error for an HTTP failure the framework raises itself (no such address, wrong method)."""
    if status == 404:
        return NotFoundError("there is no page at this address", hint="start from the home page")
    return InvalidInputError(f"the request was refused (HTTP {status})", hint="check the address and method")
