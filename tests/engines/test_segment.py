"""Census import, variables, the OAC-style clustering, profiles and assignment, on a small synthetic place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.engines.segment_support import (
    SPEC_YAML,
    add_oas,
    density_long_csv,
    import_tiny_census,
    oa_code,
    tenure_long_csv,
    tiny_spec,
)
from totalplace.engines.segment.assign import Centroids, assign, centroids_csv, read_centroids
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.cluster import _split, build_hierarchy, transform
from totalplace.engines.segment.run import (
    BuildRequest,
    assign_segmentation,
    build_segmentation,
    variables_for,
)
from totalplace.engines.segment.spec import SegmentSpec, load_spec
from totalplace.errors import (
    ConflictError,
    ImportRejectedError,
    InvalidInputError,
    PermissionDeniedError,
    SegmentationError,
    SpecInvalidError,
)
from totalplace.governance.roles import OPERATOR, Principal, trusted
from totalplace.place import Place
from totalplace.store import versions
from totalplace.store.segments import clusters_of, members_of, rename_cluster, restore_names
from totalplace.store.users import RoleGrant

AREAS = 40


@pytest.fixture
def spec(tmp_path: Path) -> SegmentSpec:
    return tiny_spec(tmp_path)


@pytest.fixture
def census_place(sqlite_place: Place, tmp_path: Path, spec: SegmentSpec) -> Place:
    import_tiny_census(sqlite_place, tmp_path, add_oas(sqlite_place, tmp_path, AREAS))
    return sqlite_place


def test_packaged_specifications_load() -> None:
    oac = load_spec("oac2021")
    assert len(oac.variables) == 60
    assert [v.code for v in oac.variables][:3] == ["v01", "v02", "v03"]
    assert len(load_spec("oac2011_initial").variables) == 166


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("table: age, numerator: [Old]", "table: ages, numerator: [Old]"), "ages"),
        (lambda t: t.replace("numerator: [Old]", "numerator: [Ancient]"), "Ancient"),
        (lambda t: t.replace("code: old,", "code: own,"), "repeat"),
        (lambda t: t.replace("measure: value", "measure: guess"), "measure"),
    ],
)
def test_a_bad_specification_is_refused_with_a_coded_reason(
    tmp_path: Path, change: object, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(change(SPEC_YAML), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(SpecInvalidError) as refused:
        load_spec(path)
    assert refused.value.code == "TP700"
    assert message in str(refused.value)


def test_variables_from_long_and_wide_tables(census_place: Place, spec: SegmentSpec) -> None:
    matrix = variables_for(census_place, spec)
    assert matrix.codes == ["own", "social", "private", "old", "density"]
    assert len(matrix.areas) == AREAS
    first = matrix.values[0]
    assert first[0] == pytest.approx(100 * 80 / 100)
    assert first[3] == pytest.approx(100 * 50 / 250)
    assert first[4] == 1000
    shares = matrix.values[:, :3].sum(axis=1)
    assert np.allclose(shares, 100), "the categories of a complete table sum to 100%"


def test_a_table_imported_again_replaces_the_earlier_one(
    census_place: Place, spec: SegmentSpec, tmp_path: Path
) -> None:
    codes = [oa_code(i) for i in range(AREAS)]
    path = tmp_path / "density2.csv"
    path.write_text(density_long_csv(codes).replace(",1000", ",2000"), encoding="utf-8")
    import_census(census_place, path, spec, principal=OPERATOR)
    assert variables_for(census_place, spec).column("density")[0] == 2000


def test_census_problems_are_located_and_coded(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, 4)
    text = tenure_long_csv(codes)
    lines = text.splitlines()
    lines[2] = lines[2].replace(codes[0], "E00999999")  # not one of the place's areas
    lines[3] = lines[3].rsplit(",", 1)[0] + ",lots"  # not a number
    lines[4] = lines[4].rsplit(",", 1)[0] + ",-3"  # negative
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError) as refused:
        import_census(sqlite_place, path, spec, principal=OPERATOR)
    found = {(p.code, p.row, p.column) for p in refused.value.problems}
    assert ("TP541", 3, "area_code") in found
    assert ("TP540", 4, "value") in found
    assert ("TP543", 5, "value") in found


def test_a_category_the_specification_needs_must_be_there(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, 4)
    path = tmp_path / "cut.csv"
    path.write_text(tenure_long_csv(codes, skip="Private rented"), encoding="utf-8")
    with pytest.raises(ImportRejectedError) as refused:
        import_census(sqlite_place, path, spec, principal=OPERATOR, table="tenure")
    assert any(p.code == "TP542" and p.value == "Private rented" for p in refused.value.problems)


def test_an_unrecognised_table_must_be_named(sqlite_place: Place, tmp_path: Path, spec: SegmentSpec) -> None:
    codes = add_oas(sqlite_place, tmp_path, 2)
    path = tmp_path / "other.csv"
    path.write_text("area_code,colour,value\n" + "".join(f"{c},Blue,3\n" for c in codes), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="which census table"):
        import_census(sqlite_place, path, spec, principal=OPERATOR)


def test_transform_is_asinh_then_range_scaled() -> None:
    values = np.array([[0.0, 5.0], [10.0, 5.0], [100.0, 5.0]])
    scaled, ranges = transform(values, ["a", "b"])
    assert scaled[:, 0].min() == 0 and scaled[:, 0].max() == 1
    assert scaled[1, 0] == pytest.approx(np.arcsinh(10) / np.arcsinh(100))
    assert (scaled[:, 1] == 0).all(), "a constant variable carries nothing"
    again, _ = transform(values, ["a", "b"], ranges)
    assert np.allclose(again, scaled)


def test_identical_areas_cannot_make_more_clusters_than_they_differ() -> None:
    data = np.array([[0.1, 0.2]] * 5 + [[0.9, 0.8]] * 5)
    assert set(build_hierarchy(data, [2], starts=2, seed=1).codes[0]) == {"1", "2"}
    with pytest.raises(SegmentationError, match="only 2 distinct"):
        build_hierarchy(data, [3], starts=2, seed=1)


def test_split_shares_clusters_by_spread() -> None:
    assert _split(18, [5.0, 1.0, 1.0, 1.0], [100, 100, 100, 100]) == [10, 3, 3, 2]
    assert sum(_split(7, [1.0, 100.0], [2, 100])) == 7
    assert _split(7, [1.0, 100.0], [2, 100])[0] <= 2


def test_hierarchy_is_stable_for_a_seed_and_has_the_levels_asked() -> None:
    rng = np.random.default_rng(3)
    data = np.vstack([rng.normal(c, 0.05, size=(60, 4)) for c in (0.1, 0.4, 0.7, 0.9)])
    first = build_hierarchy(data, [4, 9], starts=10, seed=5)
    second = build_hierarchy(data, [4, 9], starts=10, seed=5)
    assert first.codes == second.codes
    assert len(set(first.codes[0])) == 4 and len(set(first.codes[1])) == 9
    assert all(child.startswith(parent) for parent, child in zip(first.codes[0], first.codes[1], strict=True))
    assert sorted(np.bincount([int(c) for c in first.codes[0]])[1:]) == [60, 60, 60, 60]


def test_build_profiles_and_names(census_place: Place, spec: SegmentSpec) -> None:
    seg = build_segmentation(
        census_place, spec, BuildRequest("tiny", [2, 4], seed=1, starts=5), principal=trusted("t")
    )
    with census_place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        members = members_of(conn, seg.id)
    top = [c for c in clusters if c.level == 0]
    assert sum(c.size for c in top) == AREAS and len([c for c in clusters if c.level == 1]) == 4
    social = next(c for c in top if (c.profile.index["social"] or 0) > 100)
    assert social.size == AREAS // 2
    assert "social rented" in social.description.lower()
    assert {m.code[0] for m in members} == {"1", "2"}
    with census_place.begin() as conn:
        rename_cluster(conn, "tiny", social.code, "Estates", principal=OPERATOR)
    with census_place.read() as conn:
        assert {c.name for c in clusters_of(conn, seg.id) if c.code == social.code} == {"Estates"}
        named = versions.history(conn, "segment_names", "tiny")  # the names before, then the change
        assert [v.created_by for v in named] == ["migration", "cli"] and "Estates" in named[1].body
    officer = Principal("o", False, (RoleGrant("partner_finance", 1, None, "finance"),))
    with pytest.raises(PermissionDeniedError), census_place.begin() as conn:
        rename_cluster(conn, "tiny", social.code, "Mine", principal=officer)
    with census_place.begin() as conn:
        restore_names(conn, "tiny", 1, principal=OPERATOR, reason="as built")
    with census_place.read() as conn:
        assert "Estates" not in {c.name for c in clusters_of(conn, seg.id)}
        assert versions.current(conn, "segment_names", "tiny").restored_from == 1  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        build_segmentation(
            census_place, spec, BuildRequest("tiny", [2], seed=1, starts=5), principal=trusted("t")
        )


def test_assignment_to_own_centroids_reproduces_the_clusters(
    census_place: Place, spec: SegmentSpec, tmp_path: Path
) -> None:
    seg = build_segmentation(
        census_place, spec, BuildRequest("own", [2], seed=1, starts=5), principal=trusted("t")
    )
    with census_place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        members = {m.area_code: m.code for m in members_of(conn, seg.id)}
    path = tmp_path / "centroids.csv"
    path.write_text(
        centroids_csv([c.code for c in clusters], seg.variables, [c.centroid or [] for c in clusters])
    )
    assigned = assign_segmentation(
        census_place, spec, read_centroids(path), name="assigned", ranges=None, principal=trusted("t")
    )
    with census_place.read() as conn:
        got = {m.area_code: (m.code, m.distance, m.runner_up) for m in members_of(conn, assigned.id)}
    assert {a: code for a, (code, _, _) in got.items()} == members
    assert all(d is not None and runner != code for code, d, runner in got.values())


def test_assign_reports_runner_up_and_refuses_foreign_variables(
    census_place: Place, spec: SegmentSpec
) -> None:
    matrix = variables_for(census_place, spec)
    centres = Centroids(["A", "B"], ["own", "social"], np.array([[0.9, 0.1], [0.1, 0.9]]))
    result = assign(matrix, centres)
    assert set(result.nearest) == {"A", "B"} and result.variables_missing == []
    assert all(n != r for n, r in zip(result.nearest, result.runner_up, strict=True))
    assert (result.runner_up_distance >= result.distance).all()
    with pytest.raises(SpecInvalidError):
        assign(matrix, Centroids(["A", "B"], ["x1", "x2"], np.zeros((2, 2))))


def test_a_bad_centroids_file_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("code,v01,v02\n1,0.1,0.2\n2,0.3,oops\n", encoding="utf-8")
    with pytest.raises(SpecInvalidError, match="row 3, column v02"):
        read_centroids(path)


def test_a_kept_segmentation_reads_back_typed_with_the_same_json(
    census_place: Place, spec: SegmentSpec, tmp_path: Path
) -> None:
    built = build_segmentation(
        census_place, spec, BuildRequest("kept", [2, 3], seed=1, starts=3), principal=trusted("t")
    )
    assert list(built.detail.to_dict()) == ["wcss", "variables", "ranges_from"]
    assert built.detail.wcss is not None and len(built.detail.wcss) == 2
    assert [v.code for v in built.detail.variables.variables] == [
        "own",
        "social",
        "private",
        "old",
        "density",
    ]
    with census_place.read() as conn:
        clusters = clusters_of(conn, built.id)
    assert list(clusters[0].to_dict()["profile"]) == ["share", "above", "below", "index"]
    assert all(a.index > 100 for c in clusters for a in c.profile.above)
    path = tmp_path / "centroids.csv"
    top = [c for c in clusters if c.level == 0]
    path.write_text(centroids_csv([c.code for c in top], built.variables, [c.centroid or [] for c in top]))
    assigned = assign_segmentation(
        census_place, spec, read_centroids(path), name="back", ranges=None, principal=trusted("t")
    )
    detail = assigned.detail.to_dict()
    assert list(detail) == ["variables_missing", "variables", "ranges_from", "doubtful"]
    assert detail["doubtful"][0]["margin"] <= detail["doubtful"][-1]["margin"]
    assert json.loads(json.dumps(assigned.to_dict())) == assigned.to_dict()
