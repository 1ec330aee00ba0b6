"""The linkage page (``/people``): each purpose's linkage (runs, counts, charts of match probabilities and
weights), and the forms that train a purpose's model and run it, for those the policy lets link."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from totalplace.engines.people.people import readable_purposes, resource, summary
from totalplace.engines.people.runs import DEFAULT_THRESHOLD, run_linkage, train_model
from totalplace.engines.people.viewer import comparison_viewer
from totalplace.errors import RequestInvalidError
from totalplace.governance.policy import PURPOSE_SERVES
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.people import people_page
from totalplace.web.forms import form_page
from totalplace.web.session import acting_user, current_principal

router = APIRouter()
PURPOSES = tuple(sorted(PURPOSE_SERVES))  # the purposes data about people can be shared for


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@form_page(router, "/people", "people.html")
def people(request: Request, principal: Principal) -> dict[str, Any]:
    """Linkage of partners' records into people and households, per purpose the user may read."""
    principal.require_any("people.read")
    place = _place(request)
    shown = [summary(place, principal, p) for p in readable_purposes(place, principal)]
    can_link = [p for p in PURPOSES if principal.can("people.link", resource(p))]
    view = people_page(shown, can_link, PURPOSES)
    return {**view.to_dict(), "threshold": DEFAULT_THRESHOLD, "_charts": view.charts}


def _purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        message = f"choose one of {', '.join(PURPOSES)}"
        raise RequestInvalidError([{"parameter": "purpose", "message": message}])
    return purpose


def _threshold(threshold: str) -> float:
    try:
        value = float(threshold)
    except ValueError:
        value = -1.0
    if not 0.0 < value < 1.0:
        message = "give a match probability between 0 and 1, such as 0.9"
        raise RequestInvalidError([{"parameter": "threshold", "message": message}])
    return value


@router.post("/people/train")
def train(
    request: Request,
    purpose: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Train the purpose's linkage model (a new version); a refused one is shown again in the page."""
    principal = acting_user(request, csrf_token, "people.link")

    def change() -> Response:
        train_model(_place(request), principal, _purpose(purpose))
        return RedirectResponse("/people", status_code=303)

    return people.submit(request, principal, {"purpose": purpose}, change, main="purpose")


people.receives("/people/train", main="purpose")


@router.post("/people/run")
def run(
    request: Request,
    purpose: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    threshold: Annotated[str, Form()] = str(DEFAULT_THRESHOLD),
) -> Response:
    """Link the purpose's records into people and households; a refused run is shown again in the page."""
    principal = acting_user(request, csrf_token, "people.link")

    def change() -> Response:
        chosen = _purpose(purpose)
        run_linkage(_place(request), principal, chosen, threshold=_threshold(threshold))
        return RedirectResponse("/people", status_code=303)

    values = {"purpose": purpose, "threshold": threshold}
    return people.submit(request, principal, values, change, main="purpose")


people.receives("/people/run", main="purpose")


@router.get("/people-viewer/{purpose}.html")
def viewer(request: Request, purpose: str) -> Response:
    """Splink's comparison viewer of the purpose's model, as a file to open offline (its scripts inline)."""
    principal = current_principal(request)
    html = comparison_viewer(_place(request), principal, _purpose(purpose))
    return Response(
        html,
        media_type="text/html",
        headers={"Content-Disposition": f'attachment; filename="{purpose}-comparison-viewer.html"'},
    )
