"""Census import of many files (skip what the specification does not read, keep nothing when any needed table
is bad), the share of its variables every classification rests on, and comparison with published labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.engines.segment_support import (
    add_oas,
    age_wide_csv,
    density_long_csv,
    tenure_long_csv,
    tiny_spec,
)
from totalplace.engines.segment.assign import Centroids
from totalplace.engines.segment.census import import_census_files
from totalplace.engines.segment.compare import compare_labels, compare_segmentation, parse_labels
from totalplace.engines.segment.coverage import minimum_share, stored_share
from totalplace.engines.segment.run import BuildRequest, assign_segmentation, build_segmentation
from totalplace.engines.segment.spec import SegmentSpec
from totalplace.errors import (
    CensusTableNotInSpecError,
    ImportRejectedError,
    InvalidInputError,
    LabelsInvalidError,
    PartialVariablesError,
)
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place
from totalplace.store.segments import members_of

AREAS = 30


@pytest.fixture
def spec(tmp_path: Path) -> SegmentSpec:
    return tiny_spec(tmp_path)


def _files(tmp: Path, codes: list[str], **extra: str) -> list[Path]:
    texts = {
        "tenure.csv": tenure_long_csv(codes),
        "age.csv": age_wide_csv(codes),
        "density.csv": density_long_csv(codes),
        **extra,
    }
    paths = []
    for name, text in texts.items():
        (tmp / name).write_text(text, encoding="utf-8")
        paths.append(tmp / name)
    return sorted(paths)


def _census_rows(place: Place) -> int:
    with place.analytics() as engine:
        return int(engine.query("select count(*) as n from census").column("n")[0].as_py())


def _unused(codes: list[str]) -> str:
    """A table the tiny specification does not read (nothing in common with its tables)."""
    return "area_code,colour,value\n" + "".join(f"{c},Blue,3\n{c},Red,4\n" for c in codes)


def test_files_of_tables_the_spec_does_not_read_are_skipped_and_listed(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    run = import_census_files(
        sqlite_place, _files(tmp_path, codes, **{"colour.csv": _unused(codes)}), spec, principal=OPERATOR
    )
    assert sorted(t.info.table for t in run.imported) == ["age", "density", "tenure"]
    assert [s.file for s in run.skipped] == ["colour.csv"] and "holds no table tiny reads" in run.skipped[
        0
    ].reason
    assert run.tables_not_given == () and run.to_dict()["skipped"][0]["file"] == "colour.csv"


def test_one_bad_needed_table_keeps_nothing_of_any_file(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    bad = density_long_csv(codes).replace(",1000\n", ",lots\n", 1)
    with pytest.raises(ImportRejectedError) as refused:
        import_census_files(
            sqlite_place, _files(tmp_path, codes, **{"density.csv": bad}), spec, principal=OPERATOR
        )
    assert {p.file for p in refused.value.problems} == {"density.csv"}
    assert _census_rows(sqlite_place) == 0, "checked before anything is kept"


def test_a_needed_table_cut_short_is_refused_not_skipped(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    cut = tenure_long_csv(codes, skip="Private rented")  # 2 of the 3 categories: tenure cut short
    with pytest.raises(CensusTableNotInSpecError) as refused:
        import_census_files(
            sqlite_place, _files(tmp_path, codes, **{"tenure.csv": cut}), spec, principal=OPERATOR
        )
    assert refused.value.closest == "tenure" and refused.value.code == "TP702"
    assert _census_rows(sqlite_place) == 0


def test_no_file_of_a_needed_table_and_two_of_one_are_refused(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    (tmp_path / "colour.csv").write_text(_unused(codes), encoding="utf-8")
    with pytest.raises(CensusTableNotInSpecError, match="none of the 1 file"):
        import_census_files(sqlite_place, [tmp_path / "colour.csv"], spec, principal=OPERATOR)
    twice = _files(tmp_path, codes, **{"tenure2.csv": tenure_long_csv(codes)})
    with pytest.raises(InvalidInputError, match="both hold the tenure table"):
        import_census_files(sqlite_place, twice, spec, principal=OPERATOR)
    assert _census_rows(sqlite_place) == 0


def test_a_classification_on_too_few_variables_is_refused_unless_asked(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    """Tenure alone gives 3 of the 5 variables (60%), under the cited minimum."""
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    (tmp_path / "tenure.csv").write_text(tenure_long_csv(codes), encoding="utf-8")
    run = import_census_files(sqlite_place, [tmp_path / "tenure.csv"], spec, principal=OPERATOR)
    assert run.tables_not_given == ("age", "density") and run.variables_needing_them == ("old", "density")
    assert minimum_share() == 0.9
    with pytest.raises(PartialVariablesError, match=r"3 of 5 variables \(60%\)") as refused:
        build_segmentation(
            sqlite_place, spec, BuildRequest("p", [2], seed=1, starts=3), principal=trusted("t")
        )
    assert refused.value.code == "TP703"
    seg = build_segmentation(
        sqlite_place,
        spec,
        BuildRequest("p", [2], seed=1, starts=3, allow_partial=True),
        principal=trusted("t"),
    )
    share = stored_share(seg)
    assert (share.used, share.of, share.partial) == (3, 5, True)
    assert "below the 90%" in share.sentence()
    from totalplace.reports.segment import segment_report_html

    assert "3 of 5 variables (60%), below the 90%" in " ".join(segment_report_html(sqlite_place, "p").split())

    centres = Centroids(
        ["A", "B"], ["own", "social", "private", "old", "density"], np.array([[0.9, 0.1, 0.2, 0.5, 0.5]] * 2)
    )
    centres.values[1, :3] = [0.1, 0.9, 0.2]
    with pytest.raises(PartialVariablesError, match="assignment a"):
        assign_segmentation(sqlite_place, spec, centres, name="a", ranges=None, principal=trusted("t"))
    assigned = assign_segmentation(
        sqlite_place, spec, centres, name="a", ranges=None, principal=trusted("t"), allow_partial=True
    )
    assert stored_share(assigned).to_dict() == {
        "used": 3,
        "of": 5,
        "share": 0.6,
        "minimum": 0.9,
        "partial": True,
    }


def test_a_full_classification_says_its_share(sqlite_place: Place, tmp_path: Path, spec: SegmentSpec) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    import_census_files(sqlite_place, _files(tmp_path, codes), spec, principal=OPERATOR)
    seg = build_segmentation(
        sqlite_place, spec, BuildRequest("full", [2], seed=1, starts=3), principal=trusted("t")
    )
    assert stored_share(seg).sentence() == "5 of 5 variables (100%)" and not stored_share(seg).partial


def test_comparison_matches_clusters_one_to_one() -> None:
    ours = {f"a{i}": "1" if i < 6 else "2" if i < 10 else "3" for i in range(12)}
    renamed = {a: {"1": "x", "2": "y", "3": "z"}[c] for a, c in ours.items()}
    same = compare_labels(ours, renamed, name="s", level=0)
    assert (
        same.agreement == 1
        and same.adjusted_rand == pytest.approx(1)
        and same.normalised_mutual_information == pytest.approx(1)
    )
    assert {(m.cluster, m.label) for m in same.matches} == {("1", "x"), ("2", "y"), ("3", "z")}
    moved = dict(renamed, a0="y", a1="y", extra="x")
    differ = compare_labels(ours, moved, name="s", level=0)
    assert differ.areas == 12 and differ.only_theirs == 1 and differ.agreement == pytest.approx(10 / 12)
    assert differ.table[0] == (4, 2, 0) and 0 < differ.adjusted_rand < 1
    # Two of ours against one label: one of them is left unmatched, its areas counted as disagreeing.
    merged = compare_labels(ours, {a: "x" if c != "3" else "z" for a, c in ours.items()}, name="s", level=0)
    assert merged.agreement == pytest.approx(8 / 12) and len(merged.matches) == 2


def test_a_labels_file_is_read_or_refused_with_the_row(tmp_path: Path) -> None:
    assert parse_labels(b"OA21CD,supergroup,group\nE001,1,1a\nE002,2,2b\n", "l.csv") == {
        "E001": "1",
        "E002": "2",
    }
    assert parse_labels(b"code,supergroup,group\nE001,1,1a\n", "l.csv", "group") == {"E001": "1a"}
    with pytest.raises(LabelsInvalidError, match="row 3: E001 is labelled twice"):
        parse_labels(b"code,label\nE001,1\nE001,2\n", "l.csv")
    with pytest.raises(LabelsInvalidError, match="no column 'subgroup'"):
        parse_labels(b"code,label\nE001,1\n", "l.csv", "subgroup")


def test_compare_a_kept_segmentation_with_its_own_labels(
    sqlite_place: Place, tmp_path: Path, spec: SegmentSpec
) -> None:
    codes = add_oas(sqlite_place, tmp_path, AREAS)
    import_census_files(sqlite_place, _files(tmp_path, codes), spec, principal=OPERATOR)
    seg = build_segmentation(
        sqlite_place, spec, BuildRequest("c", [2, 4], seed=1, starts=3), principal=trusted("t")
    )
    with sqlite_place.read() as conn:
        members = members_of(conn, seg.id)
    path = tmp_path / "labels.csv"
    path.write_text("area_code,label\n" + "".join(f"{m.area_code},L{m.code[0]}\n" for m in members))
    top = compare_segmentation(sqlite_place, "c", path, level=0)
    assert top.agreement == 1 and top.areas == AREAS
    finer = compare_segmentation(sqlite_place, "c", path, level=1)
    assert len(finer.clusters) == 4 and finer.agreement < 1 and finer.normalised_mutual_information < 1
    with pytest.raises(LabelsInvalidError, match="levels 0 to 1"):
        compare_segmentation(sqlite_place, "c", path, level=2)
