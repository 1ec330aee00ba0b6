"""The 360° profile pages: a person's or household's chronology (``/people/person/{person_id}``,
``/people/household/{household_id}``), the form to see who a person is (the lead, for direct care, with a
reason: the answer is the identified page, never kept at an address), and people by small area
(``/people/areas``). Each GET has its ``.json`` twin; the engine asks the policy and audits every view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from totalplace.engines.people.areas import BY, By
from totalplace.engines.people.profile import Subject
from totalplace.engines.people.profile_access import REVEAL_PURPOSE, show_areas, show_profile
from totalplace.errors import RevealReasonRequiredError
from totalplace.governance.policy import PURPOSE_SERVES, Resource
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.profile import areas_view, profile_view
from totalplace.web import params
from totalplace.web.render import page, twin, wants_json
from totalplace.web.session import check_csrf, current_principal

router = APIRouter()
MAX_REASON = 500


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _purpose(request: Request) -> str:
    return params.choice(request, "purpose", tuple(PURPOSE_SERVES), "planning") or "planning"


def _subject_id(request: Request, subject: Subject) -> str:
    key = "person_id" if subject == "person" else "household_id"
    return params.path_name(request, key, key.replace("_", " "))


def _profile(
    request: Request, principal: Principal, subject: Subject, purpose: str, form: dict[str, Any]
) -> dict[str, Any]:
    """The pseudonymised profile page's data (with the reveal form's state), for ``people.read``."""
    subject_id = _subject_id(request, subject)
    profile = show_profile(_place(request), principal, subject, subject_id, purpose=purpose)
    can_reveal = principal.can("person.reveal", Resource("person", subject_id, purpose=REVEAL_PURPOSE))
    view = profile_view(profile, can_reveal=can_reveal, reveal_form=form)
    return {**view.to_dict(), "_charts": view.charts}


@twin(router, "/people/person/{person_id}", "people_profile.html")
def person_page(request: Request, principal: Principal) -> dict[str, Any]:
    """A person's records from every partner in one chronology (``?purpose=``, default planning)."""
    return _profile(request, principal, "person", _purpose(request), {"reason": "", "error": None})


@twin(router, "/people/household/{household_id}", "people_profile.html")
def household_page(request: Request, principal: Principal) -> dict[str, Any]:
    """A household's records (everyone linked into it) in one chronology."""
    return _profile(request, principal, "household", _purpose(request), {"reason": "", "error": None})


def _reveal(request: Request, subject: Subject, csrf_token: str, reason: str) -> Response:
    """The identified profile for direct care; a refused reason shows the page again, problem by the field."""
    principal = current_principal(request)
    check_csrf(request, csrf_token)
    subject_id = _subject_id(request, subject)
    typed = reason[:MAX_REASON]
    try:
        profile = show_profile(
            _place(request), principal, subject, subject_id, purpose=REVEAL_PURPOSE, reveal=True, reason=typed
        )
    except RevealReasonRequiredError as exc:
        form = {"reason": typed, "error": {**exc.to_dict(), "field": "reason"}}
        data = _profile(request, principal, subject, REVEAL_PURPOSE, form)
        charts = data.pop("_charts")
        if wants_json(request):
            return JSONResponse({**data, "error": exc.to_dict()}, status_code=exc.http_status)
        status = exc.http_status
        return page(
            request, "people_profile.html", data, status_code=status, principal=principal, charts=charts
        )
    view = profile_view(profile, can_reveal=True, reveal_form={"reason": typed, "error": None})
    if wants_json(request):
        return JSONResponse(view.to_dict(), headers={"Cache-Control": "no-store"})
    answer = page(request, "people_profile.html", view.to_dict(), principal=principal, charts=view.charts)
    answer.headers["Cache-Control"] = "no-store"  # who a person is is never kept by a browser or a proxy
    return answer


@router.post("/people/person/{person_id}/reveal")
def reveal_person(
    request: Request, csrf_token: Annotated[str, Form()], reason: Annotated[str, Form()] = ""
) -> Response:
    """Who a person is, for direct care: the lead only, with a reason kept in the audit trail."""
    return _reveal(request, "person", csrf_token, reason)


@router.post("/people/household/{household_id}/reveal")
def reveal_household(
    request: Request, csrf_token: Annotated[str, Form()], reason: Annotated[str, Form()] = ""
) -> Response:
    """Who a household's people are, for direct care: the lead only, with a reason kept in the audit trail."""
    return _reveal(request, "household", csrf_token, reason)


@twin(router, "/people/areas", "people_areas.html")
def areas_page(request: Request, principal: Principal) -> dict[str, Any]:
    """People linked for ``?purpose=`` by LSOA and ``?by=`` source or partner, small counts suppressed."""
    by: By = "partner" if params.choice(request, "by", BY, "source") == "partner" else "source"
    counts = show_areas(_place(request), principal, purpose=_purpose(request), by=by)
    view = areas_view(_place(request), counts)
    return {**view.to_dict(), "purposes": list(PURPOSE_SERVES), "_charts": view.charts}
