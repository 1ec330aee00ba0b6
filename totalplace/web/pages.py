"""The pages of the place: home, datasets and their provenance, the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from totalplace.datasets.access import may_download
from totalplace.datasets.export import export_batch
from totalplace.errors import NotFoundError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.home import home_page, place_facts
from totalplace.store import audit
from totalplace.store.catalog import get_batch, list_batches
from totalplace.web import params
from totalplace.web.render import twin
from totalplace.web.session import current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@twin(router, "/", "home.html", json_path="/index.json", also_json=("/.json",))
def home(request: Request, principal: Principal) -> dict[str, Any]:
    """The place at a glance: partners, data imported, geography, what each engine has produced."""
    place = _place(request)
    view = home_page(place.config, principal.username, place_facts(place))
    return {**view.to_dict(), "_charts": view.charts}


@twin(router, "/datasets", "datasets.html")
def datasets(request: Request, principal: Principal) -> dict[str, Any]:
    """Every import batch with its provenance, newest first."""
    principal.require("figures.read")
    with _place(request).read() as conn:
        batches = list_batches(conn)
    return {
        "batches": [{**b.to_dict(), "may_download": may_download(principal, b)} for b in batches],
        "can_import": principal.may("batch.import") or principal.may("geography.change"),
    }


def _batch_page(request: Request, principal: Principal) -> dict[str, Any]:
    principal.require("figures.read")
    batch_id = params.path_id(request, "batch_id")
    with _place(request).read() as conn:
        batch = get_batch(conn, batch_id)
    return {"batch": batch.to_dict(), "may_download": may_download(principal, batch)}


twin(router, "/datasets/{batch_id}", "dataset.html")(_batch_page)


@router.get("/datasets/{batch_id}/export.{fmt}")
def export(request: Request, batch_id: Annotated[int, Path(ge=1, le=params.MAX_ID)], fmt: str) -> Response:
    """The batch's rows as CSV or XLSX, formulas neutralised, for those the policy allows (batch.download,
    asked by the export); the download is audited."""
    principal = current_principal(request)
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError(f"no export format {fmt[:20]!r}", hint="use .csv or .xlsx")
    _, body = export_batch(_place(request), batch_id, "xlsx" if fmt == "xlsx" else "csv", principal=principal)
    media = (
        "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"batch-{batch_id}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@twin(router, "/audit", "audit.html")
def audit_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The newest audit records, whether the chain and its anchor verify, and the head to print."""
    principal.require("audit.read")
    place = _place(request)
    # Verified on a read connection, so a long chain does not hold the store's write lock.
    with place.read() as conn:
        verification = audit.verify(conn)
        recs = [r.__dict__ for r in audit.records(conn, limit=200, newest_first=True)]
    with place.begin() as conn:
        audit.append(
            conn,
            actor=principal.username,
            action="audit.read",
            object_type="audit",
            object_id="log",
            detail={},
        )
    summary = verification.to_dict()
    return {
        "ok": verification.ok,
        "records_checked": verification.records,
        "problems": verification.problems,
        "notes": verification.notes,
        "keyed_from": verification.keyed_from,
        "anchor": {k: summary[k] for k in ("anchored_seq", "anchor_lines", "anchor_behind")},
        "head": summary["head"],
        "records": recs,
    }
