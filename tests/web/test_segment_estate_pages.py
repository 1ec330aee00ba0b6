"""The segment and estate pages, their JSON and GeoJSON twins, and renaming a cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.engines.segment_support import add_oas, import_tiny_census
from tests.web.conftest import csrf_of
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.run import BuildRequest, build_segmentation
from totalplace.engines.segment.spec import load_spec
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place

Client = Callable[[str], TestClient]


@pytest.fixture
def mapped(web_place: Place, tmp_path: Path) -> Place:
    codes = add_oas(web_place, tmp_path, 30)
    spec = import_tiny_census(web_place, tmp_path, codes)
    build_segmentation(
        web_place, spec, BuildRequest("tiny", [2, 4], seed=3, starts=5), principal=trusted("t")
    )
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "name,type,lon,lat\nLibrary,library,-2.395,53.401\nHub,library,-2.385,53.403\n", encoding="utf-8"
    )
    import_sites(web_place, sites, principal=OPERATOR, partner="Council")
    gps = tmp_path / "gps.csv"
    gps.write_text("name,lon,lat\nSurgery,-2.3951,53.4011\n", encoding="utf-8")
    import_sites(web_place, gps, principal=OPERATOR, partner="NHS", asset_type="GP practice")
    return web_place


def test_segment_pages_and_twins(mapped: Place, client_for: Client) -> None:
    client = client_for("analyst")
    listing = client.get("/segments")
    assert listing.status_code == 200 and "/segments/tiny" in listing.text
    page = client.get("/segments/tiny?level=1")
    assert page.status_code == 200 and page.text.count("<svg") == 2
    data = client.get("/segments/tiny.json").json()
    assert {c["code"] for c in data["clusters"] if c["level"] == 0} == {"1", "2"}
    assert set(data["charts"]) == {"map", "profiles"} and "vega_lite" in data["charts"]["map"]
    geo = client.get("/segments/tiny.geojson?level=1").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 30
    assert {f["properties"]["segment"][0] for f in geo["features"]} == {"1", "2"}
    assert all(len(f["properties"]["segment"]) == 2 for f in geo["features"])
    # No oac2021 table is imported yet, and the web reads no specification from a path.
    assert client.get("/segments-diagnose.json?spec=oac2021&k=2-3").status_code == 422
    assert client.get("/segments-diagnose.json?spec=/etc/passwd").status_code == 400
    pdf = client.get("/segments/tiny.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_renaming_a_cluster_needs_the_right_role(mapped: Place, client_for: Client) -> None:
    analyst = client_for("analyst")
    token = csrf_of(analyst.get("/segments/tiny").text)
    done = analyst.post(
        "/segments/tiny/rename",
        data={"code": "1", "new_name": "Owner-occupied suburbs", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    names = {c["code"]: c["name"] for c in analyst.get("/segments/tiny.json").json()["clusters"]}
    assert names["1"] == "Owner-occupied suburbs"
    finance = client_for("finance")
    token = (
        csrf_of(finance.get("/segments/tiny").text)
        if "csrf_token" in finance.get("/segments/tiny").text
        else ""
    )
    refused = finance.post("/segments/tiny/rename", data={"code": "1", "new_name": "x", "csrf_token": token})
    assert refused.status_code == 403


def test_estate_page_access_and_geojson(mapped: Place, client_for: Client) -> None:
    client = client_for("lead")
    page = client.get("/estate?service=library&level=oa")
    assert page.status_code == 200 and "Access to library" in page.text and "<svg" in page.text
    data = client.get("/estate.json?service=library&level=oa").json()
    assert data["sites"] == 3 and data["access"]["sites"] == 2
    assert data["access"]["within"][-1]["share"] == 1.0 and len(data["access"]["areas"]) == 30
    pairs = [{s["name"] for s in c["sites"]} for c in data["candidates"]["colocation"]]
    assert {"Library", "Surgery"} in pairs
    points = client.get("/estate/sites.geojson").json()
    assert {f["properties"]["partner"] for f in points["features"]} == {"Council", "NHS"}
    unknown = client.get("/estate.json?service=ferry&level=oa")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "TP710"


def test_map_page_for_any_measure(mapped: Place, client_for: Client) -> None:
    client = client_for("auditor")
    page = client.get("/map?measure=segment:tiny&level=oa&sites=1")
    assert page.status_code == 200 and "<svg" in page.text and "Segments: " in page.text
    data = client.get("/map.json?measure=population&level=oa").json()
    assert data["areas"] == 30 and data["summary"]["min"] == 300
    assert any(m["key"] == "segment:tiny" for m in data["measures"])
    geo = client.get("/map.geojson?measure=access:library&level=oa").json()
    assert len(geo["features"]) == 30 and all(f["properties"]["value"] >= 0 for f in geo["features"])
    assert client.get("/map.json?measure=nonsense").status_code == 400


def test_census_tables_and_sites_upload_through_the_form(mapped: Place, client_for: Client) -> None:
    client = client_for("lead")
    token = csrf_of(client.get("/datasets/upload").text)
    tenure = load_spec("oac2021").tables["household_tenure"].categories
    codes = [f"E00{900000 + i:06d}" for i in range(30)]
    body = "area_code,household_tenure,value\n" + "".join(
        f"{c},{t},{i + (n * (i + 1)) % 7}\n" for n, c in enumerate(codes) for i, t in enumerate(tenure)
    )
    done = client.post(
        "/datasets/upload",
        data={"kind": "census", "csrf_token": token},
        files={"file": ("tenure.csv", body.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    grid = "name,lon,lat\nDepot,376680,387959\n"
    refused = client.post(
        "/datasets/upload",
        data={"kind": "assets", "partner": "Council", "asset_type": "depot", "csrf_token": token},
        files={"file": ("depots.csv", grid.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "TP545" in refused.text and "--crs bng" in refused.text
    fine = client.post(
        "/datasets/upload",
        data={"kind": "assets", "partner": "Council", "asset_type": "depot", "csrf_token": token},
        files={"file": ("depots.csv", b"name,lon,lat\nDepot,-2.39,53.41\n", "text/csv")},
        follow_redirects=False,
    )
    assert fine.status_code == 303
    assert client.get("/estate.json").json()["types"]["depot"] == 1
    diagnosed = client.get("/segments-diagnose.json?spec=oac2021&k=2-3&starts=2").json()
    assert [r["k"] for r in diagnosed["diagnostics"]] == [2, 3] and "diagnostics" in diagnosed["charts"]
    assert "<svg" in client.get("/segments-diagnose?k=2-3&starts=2").text


def test_a_segmentation_is_built_from_the_page(mapped: Place, client_for: Client, tmp_path: Path) -> None:
    lead = client_for("lead")
    listing = lead.get("/segments")
    assert "/segments-build" in listing.text
    form = {"spec": "oac2021", "levels": "2", "seed": "4", "starts": "3", "csrf_token": csrf_of(listing.text)}
    # The place's census tables are the tiny specification's, so oac2021 has nothing to build from.
    refused = lead.post("/segments-build", data={**form, "name": "web-built"})
    assert refused.status_code == 422 and "TP701" in refused.text
    assert lead.post("/segments-build", data={**form, "name": "Not a name"}).status_code == 400
    outside = lead.post("/segments-build", data={**form, "spec": "/etc/passwd", "name": "x"})
    assert outside.status_code == 422 and 'id="problem-spec"' in outside.text  # beside its field, in the page
    assert client_for("auditor").post("/segments-build", data={**form, "name": "x"}).status_code == 403
    spec = load_spec("oac2021")
    categories = spec.tables["household_tenure"].categories
    codes = [f"E00{900000 + i:06d}" for i in range(30)]
    path = tmp_path / "tenure.csv"
    path.write_text(
        "area_code,household_tenure,value\n"
        + "".join(
            f"{c},{t},{(n % 2) * 40 + (j + 1) * (1 + n % 3)}\n"
            for n, c in enumerate(codes)
            for j, t in enumerate(categories)
        )
    )
    import_census(mapped, path, spec, principal=OPERATOR)
    # Tenure gives a few of the 60 variables: refused unless a partial classification is asked for.
    partial = lead.post("/segments-build", data={**form, "name": "web-built"}, follow_redirects=False)
    assert partial.status_code == 422 and "TP703" in partial.text
    built = lead.post(
        "/segments-build", data={**form, "name": "web-built", "allow_partial": "yes"}, follow_redirects=False
    )
    assert built.status_code == 303 and built.headers["location"] == "/segments/web-built"
    made = lead.get("/segments/web-built.json").json()
    assert made["variable_share"]["partial"] is True and made["variable_share"]["of"] == 60
    assert "a partial classification" in lead.get("/segments/web-built").text
    listed = lead.get("/segments.json").json()["segmentations"]
    assert {s["name"]: s["variable_share"]["partial"] for s in listed}["web-built"] is True
    assert made["segmentation"]["seed"] == 4 and sum(c["size"] for c in made["clusters"]) == 30
    # The same areas assigned from the page to the centroids (and ranges) the build exported: every area
    # lands in the cluster it was built into.
    from totalplace.engines.segment.assign import centroids_csv, ranges_csv
    from totalplace.store.segments import clusters_of, get_segmentation

    with mapped.read() as conn:
        seg = get_segmentation(conn, "web-built")
        top = [c for c in clusters_of(conn, seg.id) if c.level == 0]
    centroids = centroids_csv([c.code for c in top], seg.variables, [c.centroid or [] for c in top])
    files = {
        "centroids": ("published.csv", centroids.encode(), "text/csv"),
        "ranges": ("ranges.csv", ranges_csv(seg.ranges or {}).encode(), "text/csv"),
    }
    token = csrf_of(lead.get("/segments").text)
    assigned = lead.post(
        "/segments-assign",
        data={"spec": "oac2021", "name": "web-assigned", "csrf_token": token},
        files=files,
        follow_redirects=False,
    )
    assert assigned.status_code == 303 and assigned.headers["location"] == "/segments/web-assigned"
    sizes = {c["code"]: c["size"] for c in lead.get("/segments/web-assigned.json").json()["clusters"]}
    assert sizes == {c["code"]: c["size"] for c in made["clusters"] if c["level"] == 0}
    bad = {"centroids": ("bad.csv", b"code,v01\nA,x\nB,1\n", "text/csv")}
    refused_file = lead.post("/segments-assign", data={"name": "bad", "csrf_token": token}, files=bad)
    assert refused_file.status_code == 422 and "bad.csv row 2, column v01" in refused_file.text
    assert (
        "<title>Segments · totalplace</title>" in lead.get("/segments").text
    )  # the form is not in the title
