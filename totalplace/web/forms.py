"""Forms a person fills in: a refused form is shown again, inside its page, with what was typed and each
problem beside its field.

A form page is registered with :func:`form_page` (its GET page and ``.json`` twin over one data function,
like :func:`totalplace.web.render.twin`). The route that receives the form runs its change through
:meth:`FormPage.submit`: a refusal of what the person typed (a coded 4xx other than a login, permission, CSRF
or throttle refusal) draws the form page again with the problems, at the error's HTTP status, while a JSON
client still gets the error as JSON. Templates show the problems with the macros in ``_form.html``::

    {% from "_form.html" import form_problems, field, textarea with context %}
    {{ form_problems() }}
    {{ field("name", "The pool's name", required=true) }}

A form whose fields FastAPI itself refuses (a missing or mistyped field, TP108) is drawn again the same way:
:meth:`FormPage.receives` records which POST route belongs to which form page, and the app's handler for
those refusals looks it up (:func:`refused_request`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from totalplace.errors import InputRefusedError, RequestInvalidError, TotalplaceError
from totalplace.governance.roles import Principal
from totalplace.web.render import PageData, page, twin, wants_json
from totalplace.web.session import current_principal

# Statuses that mean "not this input": anything else (401 login, 403 permission or CSRF, 413 too large,
# 429 throttled, 5xx) is not the person's typing and keeps its own error page.
FORM_STATUSES: Final = frozenset({400, 404, 409, 422})

# A hint written for the command line: a flag (--year) or a command (`totalplace ...`).
_CLI_HINT: Final = re.compile(r"(?<![\w-])--[a-z]|`totalplace\b|\btotalplace [a-z]+ [a-z-]+")
WEB_HINT: Final = "correct what is marked and send the form again; nothing was changed"
PAGE_HINT: Final = "go back, correct what you sent and try again, or ask a partnership lead"


def cli_hint(hint: str | None) -> bool:
    """Whether ``hint`` tells a person to use the command line (a flag or a command)."""
    return bool(hint) and _CLI_HINT.search(hint or "") is not None


def web_hint(error: TotalplaceError, instead: str = WEB_HINT) -> str | None:
    """The error's hint as the web shows it: a hint written for the command line is replaced by
    ``instead`` (a person in a browser has no command line to hand)."""
    return instead if cli_hint(error.hint) else error.hint


@dataclass(frozen=True)
class FormProblems:
    """A refused form: what was typed, the problems of each field, those of the form as a whole, and what
    to do."""

    code: str
    message: str
    hint: str | None
    values: Mapping[str, str]
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    general: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As templates and the JSON twin read it."""
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "values": dict(self.values),
            "fields": {k: list(v) for k, v in self.fields.items()},
            "general": list(self.general),
        }

    @classmethod
    def of(
        cls,
        error: TotalplaceError,
        values: Mapping[str, str],
        *,
        aliases: Mapping[str, str] | None = None,
        main: str | None = None,
        secret: Collection[str] = (),
    ) -> FormProblems:
        """The form refused by ``error``: each problem beside the field it names.

        A problem names its field by its column or parameter (``aliases`` maps other names, say a YAML key,
        to a form field). A problem naming no field of the form goes beside ``main`` (the form's one big
        field, such as a YAML text) or, without one, above the form. ``secret`` fields (passwords) are
        never typed back into the page.
        """
        known = {name.lower(): name for name in [*values, *([main] if main else [])]}
        known |= {k.lower(): v for k, v in (aliases or {}).items()}
        fields: dict[str, list[str]] = {}
        general: list[str] = []
        for name, message in _problems(error):
            target = known.get(name.lower())
            if target is None and main is not None:
                target, message = main, (f"{name}: {message}" if name else message)
            elif target is None and name:
                target = name  # a field the form did not send (FastAPI names a missing one)
            (fields.setdefault(target, []) if target is not None else general).append(message)
        kept = {k: ("" if k in secret else v) for k, v in values.items()}
        return cls(
            error.code,
            error.message,
            web_hint(error),
            kept,
            {k: tuple(v) for k, v in fields.items()},
            tuple(general),
        )


def _problems(error: TotalplaceError) -> list[tuple[str, str]]:
    """(field name or "", message) for each problem of ``error``."""
    if not isinstance(error, InputRefusedError):
        return [("", error.message)]
    found = []
    for p in error.problems:
        where = f"line {p.row}: " if p.row and not isinstance(error, RequestInvalidError) else ""
        column = "" if p.column == "request" else p.column
        found.append((column, f"{where}{p.message}"))
    return found or [("", error.message)]


# The form page of each POST route that receives a form: route path -> (page, how its fields are read).
_RECEIVERS: dict[str, tuple[FormPage, _Reading]] = {}


@dataclass(frozen=True)
class _Reading:
    aliases: Mapping[str, str]
    main: str | None
    secret: frozenset[str]


class FormPage:
    """A page with a form: its data function, its template, and how it is drawn again when refused."""

    def __init__(self, func: PageData, template: str) -> None:
        self.func = func
        self.template = template
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def __call__(self, request: Request, principal: Principal) -> dict[str, Any]:
        return self.func(request, principal)

    def receives(
        self,
        path: str,
        *,
        aliases: Mapping[str, str] | None = None,
        main: str | None = None,
        secret: Collection[str] = (),
    ) -> None:
        """Record that POST ``path`` receives this page's form (so FastAPI's own refusals show it again)."""
        _RECEIVERS[path] = (self, _Reading(dict(aliases or {}), main, frozenset(secret)))

    def refused(
        self,
        request: Request,
        principal: Principal,
        error: TotalplaceError,
        values: Mapping[str, str],
        *,
        aliases: Mapping[str, str] | None = None,
        main: str | None = None,
        secret: Collection[str] = (),
    ) -> Response:
        """The page drawn again with the refused form (HTTP status: the error's)."""
        data = self.func(request, principal)
        charts = data.pop("_charts", {})
        problems = FormProblems.of(error, values, aliases=aliases, main=main, secret=secret)
        data["form"] = problems.to_dict()
        return page(
            request,
            self.template,
            data,
            status_code=error.http_status,
            principal=principal,
            charts=charts,
        )

    def submit(
        self,
        request: Request,
        principal: Principal,
        values: Mapping[str, str],
        change: Callable[[], Response],
        *,
        aliases: Mapping[str, str] | None = None,
        main: str | None = None,
        secret: Collection[str] = (),
    ) -> Response:
        """Run ``change`` (which answers, say, a redirect); a refusal of the input draws the form again."""
        try:
            return change()
        except TotalplaceError as error:
            if wants_json(request) or error.http_status not in FORM_STATUSES:
                raise
            return self.refused(request, principal, error, values, aliases=aliases, main=main, secret=secret)


def form_page(
    router: APIRouter, path: str, template: str, json_path: str | None = None, *, cache: bool = False
) -> Callable[[PageData], FormPage]:
    """Register GET ``path`` (HTML) and its ``.json`` twin over one data function, for a page with a form.

    The decorated name becomes a :class:`FormPage`: the POST route that receives the form passes its change
    through ``.submit(...)`` so a refusal is shown in the page, and calls ``.receives(post_path)`` so a
    missing or mistyped field is too. The data function must not depend on the form's values: the form's
    state is added to its data as ``form`` when the page is drawn again. ``cache`` is :func:`twin`'s (the
    page drawn again after a refusal is never kept).
    """

    def decorator(func: PageData) -> FormPage:
        twin(router, path, template, json_path, cache=cache)(func)
        return FormPage(func, template)

    return decorator


def refused_request(request: Request, error: RequestInvalidError, body: Any) -> Response | None:
    """A POSTed form whose fields FastAPI refused, drawn again in its page; None when the route is not a
    form's (or the client wants JSON, or nobody is logged in)."""
    route = request.scope.get("route")
    found = _RECEIVERS.get(getattr(route, "path", "")) if request.method == "POST" else None
    if found is None or wants_json(request):
        return None
    form_page_, reading = found
    values = {k: v for k, v in _items(body) if isinstance(v, str) and k != "csrf_token"}
    try:  # only for someone who may see the form: anyone else gets the plain coded error
        return form_page_.refused(
            request,
            current_principal(request),
            error,
            values,
            aliases=reading.aliases,
            main=reading.main,
            secret=reading.secret,
        )
    except TotalplaceError:
        return None


def _items(body: Any) -> list[tuple[str, Any]]:
    """The fields of a form body as FastAPI kept it (FormData, a mapping, or nothing)."""
    if hasattr(body, "multi_items"):
        return list(body.multi_items())
    if isinstance(body, Mapping):
        return list(body.items())
    return []
