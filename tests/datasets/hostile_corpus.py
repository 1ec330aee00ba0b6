"""A corpus of hostile files for every importer, and a runner that sends one file through its importer.

Each case names the importer it is for, the file's bytes, and (where the case is one the issue names) a code
the refusal must carry. The runners call the library exactly as the CLI and the web app do.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.datasets.files import xlsx_of, zip_of
from tests.datasets.hostile import raw_xlsx

MAX = 2**63 - 1
SPEND = "Payment Date,Supplier Name,Amount,Description\n"
OK_LINE = "01/04/2024,Acme Ltd,10.00,Care\n"
GRANTS = "Identifier,Title,Award Date,Amount Awarded,Currency,Recipient Org:Name,Funding Org:Name\n"
CARD = "Transaction Date,Merchant Name,Transaction Amount,Merchant Category Code\n"
MAPPED = "Posted,Vendor,Net\n"
GEO_CSV = "code,name,population\n"
OBS = "Indicator ID,Area Code,Time period,Count,Denominator,Value\n"
CENSUS_LONG = "area_code,category,value\n"
ASSETS = "asset_id,name,lon,lat,floor_area,running_cost\n"
CENTROIDS = "code,v1,v2\n"
UNIT_COSTS = "Code,Description,Agency,Fiscal value,Economic value,Social value,Price year,Grade,Source\n"
DEEP_YAML = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
DEEP_BLOCK = "".join("  " * i + "k:\n" for i in range(200)) + "  " * 200 + "v\n"
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9)
)
PYTHON_TAG = "name: x\nrun: !!python/object/apply:os.system ['echo owned']\n"


@dataclass(frozen=True)
class Hostile:
    """One hostile file for one importer; ``code``, when given, must be among the refusal's codes."""

    name: str
    importer: str
    data: bytes
    code: str | None = None


def _b(text: str) -> bytes:
    return text.encode("utf-8")


AGREEMENT = {
    "name": "bcf",
    "title": "Better care",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director",
    "start_year": "2025-26",
    "term_years": 1,
    "contributions": [{"partner": "NHS", "year": "2025-26", "cash": "600,000.00"}],
    "schemes": [{"name": "care", "owner": "Council", "budget": "600,000.00"}],
}


def _agreement(**change: object) -> bytes:
    return _b(yaml.safe_dump({**AGREEMENT, **change}, sort_keys=False))


MODEL = {
    "name": "falls",
    "title": "Falls service",
    "start_year": "2025-26",
    "years": 1,
    "price_year": "2025-26",
    "cohort": {"2025-26": 100},
    "costs": [{"partner": "Council", "kind": "revenue", "amounts": {"2025-26": "5000"}}],
    "outcomes": [{"name": "o", "unit_cost": "U1", "success": 0.1}],
    "unit_costs": [
        {
            "code": "U1",
            "fiscal": {"Council": "1000"},
            "economic": "0",
            "social": "0",
            "price_year": "2025-26",
            "grade": 1,
        }
    ],
}


def _model(text: str = "") -> bytes:
    return _b(yaml.safe_dump(MODEL, sort_keys=False) + text)


def _geo(*features: str) -> bytes:
    return _b('{"type": "FeatureCollection", "features": [' + ",".join(features) + "]}")


def _feature(props: str, geometry: str = '{"type": "Point", "coordinates": [-2.3, 53.4]}') -> str:
    return f'{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}'


SQUARE = '{"type": "Polygon", "coordinates": [[[-2.3,53.4],[-2.29,53.4],[-2.29,53.41],[-2.3,53.4]]]}'


def _xlsx_cells(
    *rows: list[object], header: list[str] | None = None, dimension: str | None = None, doctype: str = ""
) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.xlsx"
        columns = header or ["Payment Date", "Supplier Name", "Amount", "Description"]
        raw_xlsx(path, columns, rows, dimension=dimension, doctype=doctype)
        return path.read_bytes()


def spend_cases() -> list[Hostile]:
    """Transparency-code spend CSVs: amounts, numbers, lines and layouts built to break the reader."""

    def line(amount: str) -> bytes:
        return _b(SPEND + OK_LINE + f"02/04/2024,B,{amount},x\n")

    return [
        Hostile("spend-amount-20-digits", "spend", line("99999999999999999999.99"), "TP551"),
        Hostile("spend-amount-2-63-pence", "spend", line(f"{MAX // 100}.{MAX % 100:02d}"), "TP551"),
        Hostile("spend-amount-just-past-10bn", "spend", line("10000000000.01"), "TP551"),
        Hostile("spend-amount-10bn-exactly", "spend", line("10000000000.00")),
        Hostile("spend-amount-negative-huge", "spend", line("(99999999999999999.00)"), "TP551"),
        Hostile("spend-amount-grouped-huge", "spend", line('"1,000,000,000,000,000,000.00"'), "TP551"),
        Hostile("spend-amount-1e309", "spend", line("1e309"), "TP531"),
        Hostile("spend-amount-nan", "spend", line("NaN"), "TP531"),
        Hostile("spend-amount-inf", "spend", line("-inf"), "TP531"),
        Hostile("spend-amount-4000-digits", "spend", line("9" * 4000), "TP531"),
        Hostile(
            "spend-total-row-huge",
            "spend",
            _b(SPEND + OK_LINE + "Total,,99999999999999999999.99,\n"),
            "TP536",
        ),
        Hostile("spend-batch-of-max-lines", "spend", _b(SPEND + "01/04/2024,A,10000000000.00,x\n" * 1000)),
        Hostile("spend-date-year-9999", "spend", _b(SPEND + "31/12/9999,B,1.00,x\n"), "TP532"),
        Hostile("spend-field-200k", "spend", _b(SPEND + f"01/04/2024,{'B' * 200_000},1.00,x\n"), "TP516"),
        Hostile("spend-line-2mb", "spend", _b(SPEND + "01/04/2024," + "B," * 1_000_000 + "1\n"), "TP516"),
        Hostile("spend-600-columns", "spend", _b(",".join(f"c{i}" for i in range(600)) + "\n"), "TP515"),
        Hostile("spend-formula", "spend", _b(SPEND + '01/04/2024,=HYPERLINK("http://x"),1.00,@SUM(A1)\n')),
        Hostile("spend-script", "spend", _b(SPEND + "01/04/2024,<script>alert(1)</script>,1.00,x\n")),
        Hostile("spend-control-chars", "spend", _b(SPEND + "01/04/2024,\x1b[31mred\x07,1.00,\u202ex\n")),
        Hostile("spend-only-bom", "spend", b"\xef\xbb\xbf", "TP511"),
        Hostile("spend-nul", "spend", b"Payment Date\x00,Supplier\n", "TP513"),
        Hostile("spend-unclosed-quote", "spend", _b(SPEND + '01/04/2024,"B,1.00,x\n' * 3), "TP524"),
        Hostile("spend-utf16-huge-amount", "spend", (SPEND + "01/04/2024,B,1e400,x\n").encode("utf-16")),
        Hostile("spend-zip-huge-amount", "spend", zip_of({"p.csv": line("99999999999999999.00")}), "TP551"),
        Hostile("spend-gzip-nan", "spend", gzip.compress(line("nan")), "TP531"),
    ]


def spend_format_cases() -> list[Hostile]:
    """360Giving, purchase-card and mapped files."""

    def grant(amount: str, currency: str) -> bytes:
        return _b(GRANTS + f"360G-1,Grant,01/04/2024,{amount},{currency},Charity,Council\n")

    def card(amount: str) -> bytes:
        return _b(CARD + f"01/04/2024,Shop,{amount},5411\n")

    def mapped(amount: str) -> bytes:
        return _b(MAPPED + f"01/04/2024,Vendor,{amount}\n")

    return [
        Hostile("360giving-us-dollars", "spend", grant("5000", "USD"), "TP558"),
        Hostile("360giving-euros-lower-case", "spend", grant("5000", "eur"), "TP558"),
        Hostile("360giving-pounds", "spend", grant("5000", "GBP")),
        Hostile("360giving-no-currency-given", "spend", grant("5000", "")),
        Hostile("360giving-amount-huge", "spend", grant("99999999999999999999", "GBP"), "TP551"),
        Hostile("360giving-amount-nan", "spend", grant("NaN", "GBP"), "TP531"),
        Hostile("card-amount-huge", "spend", card("12345678901234567.00"), "TP551"),
        Hostile("card-amount-inf", "spend", card("Infinity"), "TP531"),
        Hostile("mapped-amount-huge", "spend-mapped", mapped("99999999999999999999.99"), "TP551"),
        Hostile("mapped-amount-1e309", "spend-mapped", mapped("1e309"), "TP531"),
        Hostile("mapped-ragged", "spend-mapped", _b(MAPPED + "01/04/2024\n"), "TP524"),
    ]


def xlsx_cases() -> list[Hostile]:
    """Workbooks: number cells NaN and 1e309, a lying dimension, DTDs, damaged parts."""
    return [
        Hostile("xlsx-number-cell-nan", "spend", _xlsx_cells(["01/04/2024", "A", "#num:NaN", "x"]), "TP531"),
        Hostile("xlsx-number-cell-1e309", "spend", _xlsx_cells(["01/04/2024", "A", "#num:1e309", "x"])),
        Hostile("xlsx-number-cell-1e20", "spend", _xlsx_cells(["01/04/2024", "A", 1e20, "x"]), "TP551"),
        Hostile("xlsx-number-cell-ok", "spend", _xlsx_cells(["01/04/2024", "A", 1234.5, "x"])),
        Hostile(
            "xlsx-dimension-100-million-rows",
            "spend",
            _xlsx_cells(["01/04/2024", "A", 1, "x"], dimension="A1:D100000000"),
            "TP517",
        ),
        Hostile(
            "xlsx-doctype",
            "spend",
            _xlsx_cells(
                ["01/04/2024", "A", 1, "x"], doctype='<!DOCTYPE x [<!ENTITY e SYSTEM "/etc/passwd">]>'
            ),
            "TP539",
        ),
        Hostile("xlsx-broken-sheet", "spend", zip_of({"[Content_Types].xml": b"<Types/>", "xl/x.xml": b"<"})),
        Hostile("xlsx-geography-population-nan", "geography", _geo_xlsx("#num:NaN"), "TP553"),
        Hostile("xlsx-geography-population-negative", "geography", _geo_xlsx(-5), "TP543"),
        Hostile(
            "xlsx-truncated", "spend", xlsx_of([["Payment Date", "Supplier Name", "Amount"]])[:200], "TP518"
        ),
    ]


def _geo_xlsx(population: object) -> bytes:
    return _xlsx_cells(["E01000001", "Area", population], header=["code", "name", "population"])


def geography_cases() -> list[Hostile]:
    """GeoJSON and CSV areas: populations, repeated keys, nesting, non-finite coordinates."""
    ok = '{"code": "E01000001", "name": "A", "population": 100}'
    return [
        Hostile(
            "geo-population-minus-5", "geography", _geo(_feature(ok.replace("100", "-5"), SQUARE)), "TP543"
        ),
        Hostile("geo-csv-population-minus-5", "geography", _b(GEO_CSV + "E01000001,A,-5\n"), "TP543"),
        Hostile("geo-csv-population-huge", "geography", _b(GEO_CSV + f"E01000001,A,{10**30}\n"), "TP553"),
        Hostile("geo-csv-population-nan", "geography", _b(GEO_CSV + "E01000001,A,NaN\n"), "TP553"),
        Hostile("geo-population-1e309", "geography", _geo(_feature(ok.replace("100", "1e309"))), "TP553"),
        Hostile(
            "geo-population-10-to-30", "geography", _geo(_feature(ok.replace("100", "1" + "0" * 30))), "TP553"
        ),
        Hostile(
            "geo-repeated-property",
            "geography",
            _geo(_feature('{"code": "E01000001", "population": 5, "population": -5}', SQUARE)),
            "TP554",
        ),
        Hostile(
            "geo-repeated-features",
            "geography",
            _b('{"type": "FeatureCollection", "features": [], "features": []}'),
            "TP554",
        ),
        Hostile(
            "geo-nan-literal",
            "geography",
            _geo(_feature(ok, '{"type": "Point", "coordinates": [NaN, 1]}')),
            "TP553",
        ),
        Hostile(
            "geo-infinity-literal",
            "geography",
            _geo(_feature(ok, '{"type": "Point", "coordinates": [Infinity, 1]}')),
            "TP553",
        ),
    ]


def geojson_structure_cases() -> list[Hostile]:
    """GeoJSON built to break a parser: nesting, wrong types, huge integers, bytes that are not text."""
    ok = '{"code": "E01000001", "name": "A", "population": 100}'
    return [
        Hostile(
            "geo-deep",
            "geography",
            _b('{"type": "FeatureCollection", "features": ' + "[" * 5000 + "]" * 5000 + "}"),
            "TP555",
        ),
        Hostile("geo-properties-a-list", "geography", _geo(_feature("[1, 2]", SQUARE))),
        Hostile("geo-feature-a-string", "geography", _geo('"Feature"')),
        Hostile(
            "geo-features-an-object",
            "geography",
            _b('{"type": "FeatureCollection", "features": {"a": 1}}'),
            "TP512",
        ),
        Hostile("geo-huge-integer", "geography", _geo(_feature(ok.replace("100", "9" * 5000))), "TP553"),
        Hostile("geo-not-utf8", "geography", b'{"type": "FeatureCollection", "features": [\xff\xfe]}'),
        Hostile(
            "geo-csv-deep-boundary",
            "geography",
            _b('code,boundary\nE01000001,"' + "[" * 3000 + "]" * 3000 + '"\n'),
            "TP537",
        ),
        Hostile(
            "geo-csv-boundary-nan",
            "geography",
            _b(
                'code,boundary\nE01000001,"{""type"": ""Polygon"", ""coordinates"": [[[NaN,1],[2,2],[1,1]]]}"\n'
            ),
            "TP537",
        ),
    ]


def census_cases() -> list[Hostile]:
    """Census tables, long and wide: ragged rows, non-finite and negative counts, huge numbers."""
    return [
        Hostile("census-ragged-row", "census", _b(CENSUS_LONG + "E00000001,Detached\n"), "TP524"),
        Hostile("census-ragged-row-one-cell", "census", _b(CENSUS_LONG + "E00000001\n"), "TP524"),
        Hostile("census-count-nan", "census", _b(CENSUS_LONG + "E00000001,Detached,NaN\n"), "TP553"),
        Hostile("census-count-1e309", "census", _b(CENSUS_LONG + "E00000001,Detached,1e309\n"), "TP553"),
        Hostile("census-count-minus-5", "census", _b(CENSUS_LONG + "E00000001,Detached,-5\n"), "TP543"),
        Hostile("census-count-1e20", "census", _b(CENSUS_LONG + "E00000001,Detached,1e20\n"), "TP553"),
        Hostile("census-wide-ragged", "census", _b("area_code,Detached,Terraced\nE00000001,5\n,\n")),
        Hostile("census-empty-header", "census", b"\n\n", "TP511"),
    ]


def assets_cases() -> list[Hostile]:
    """Asset registers: coordinates and floor areas that are not finite, costs past the limit."""

    def row(lon: str, lat: str, floor: str = "", cost: str = "") -> bytes:
        return _b(ASSETS + f"A1,Library,{lon},{lat},{floor},{cost}\n")

    return [
        Hostile("assets-lon-nan", "assets", row("NaN", "53.4"), "TP553"),
        Hostile("assets-lat-1e309", "assets", row("-2.3", "1e309"), "TP553"),
        Hostile("assets-floor-minus-5", "assets", row("-2.3", "53.4", "-5"), "TP543"),
        Hostile("assets-cost-huge", "assets", row("-2.3", "53.4", "", "99999999999999999999"), "TP551"),
        Hostile(
            "assets-geometry-deep",
            "assets",
            _b('asset_id,name,geometry\nA1,L,"' + "[" * 3000 + "]" * 3000 + '"\n'),
            "TP537",
        ),
        Hostile(
            "assets-geojson-infinity",
            "assets",
            _geo(_feature('{"name": "L"}', '{"type": "Point", "coordinates": [Infinity, 53]}')),
            "TP553",
        ),
    ]


def observation_cases() -> list[Hostile]:
    """Indicator observations: non-finite and negative counts, values past the bounds."""

    def row(count: str, denominator: str = "100", value: str = "") -> bytes:
        return _b(OBS + f"90366,E06000001,2022,{count},{denominator},{value}\n")

    return [
        Hostile("observations-count-nan", "observations", row("NaN"), "TP553"),
        Hostile("observations-count-1e309", "observations", row("1e309"), "TP553"),
        Hostile("observations-value-inf", "observations", row("5", "100", "inf"), "TP553"),
        Hostile("observations-count-minus-5", "observations", row("-5"), "TP543"),
        Hostile("observations-denominator-1e16", "observations", row("5", "1e16"), "TP553"),
        Hostile("observations-fine", "observations", row("5")),
    ]


def yaml_cases(importer: str, valid: bytes, key: str) -> list[Hostile]:
    """The same hostile YAML for any YAML importer: repeated keys, nesting, aliases, tags, bytes."""
    text = valid.decode("utf-8")
    first = text.split("\n", 1)[0]
    return [
        Hostile(f"{importer}-repeated-key", importer, _b(text + first + "\n"), "TP554"),
        Hostile(f"{importer}-repeated-{key}", importer, _b(text + f"{key}: 1\n"), "TP554"),
        Hostile(f"{importer}-nested-100000-deep", importer, _b(DEEP_YAML), "TP555"),
        Hostile(f"{importer}-nested-200-blocks", importer, _b(DEEP_BLOCK), "TP555"),
        Hostile(f"{importer}-billion-laughs", importer, _b(LAUGHS), "TP556"),
        Hostile(f"{importer}-python-tag", importer, _b(PYTHON_TAG), "TP559"),
        Hostile(f"{importer}-not-utf8", importer, b"name: \xff\xfe\n", "TP514"),
        Hostile(f"{importer}-broken", importer, _b("a: [\n"), "TP559"),
        Hostile(f"{importer}-a-list", importer, _b("- 1\n- 2\n")),
        Hostile(f"{importer}-empty", importer, b""),
    ]


def pool_cases() -> list[Hostile]:
    """Agreements: money past the limit, non-finite quantities, and the hostile YAML of every importer."""
    return [
        *yaml_cases("agreement", _agreement(), "host"),
        Hostile(
            "agreement-cash-20-digits",
            "agreement",
            _agreement(
                contributions=[{"partner": "NHS", "year": "2025-26", "cash": "99999999999999999999.99"}]
            ),
            "TP600",
        ),
        Hostile(
            "agreement-cash-int-huge",
            "agreement",
            _agreement(contributions=[{"partner": "NHS", "year": "2025-26", "cash": 10**30}]),
            "TP600",
        ),
        Hostile(
            "agreement-budget-inf",
            "agreement",
            _agreement(schemes=[{"name": "care", "owner": "Council", "budget": float("inf")}]),
            "TP600",
        ),
        Hostile(
            "agreement-fte-1e309",
            "agreement",
            _agreement(
                contributions=[
                    {
                        "partner": "NHS",
                        "year": "2025-26",
                        "in_kind": {"fte": "1e309", "cost_per_fte": "1", "scheme": "care"},
                    }
                ]
            ),
            "TP600",
        ),
        Hostile("agreement-fine", "agreement", _agreement()),
    ]


def movement_cases() -> list[Hostile]:
    """Movement files: two movements of 2^63-1 pence, non-finite amounts, ragged rows, repeated keys."""

    def movements(*rows: str) -> bytes:
        return _b("key,kind,date,amount,partner\n" + "".join(rows))

    big = f"{MAX // 100}.{MAX % 100:02d}"
    return [
        Hostile(
            "movements-two-of-2-63-pence",
            "movements",
            movements(f"m1,contribution,01/05/2025,{big},NHS\n", f"m2,contribution,01/05/2025,{big},NHS\n"),
            "TP551",
        ),
        Hostile(
            "movements-one-of-2-63-pence",
            "movements",
            movements(f"m1,contribution,01/05/2025,{big},NHS\n"),
            "TP551",
        ),
        Hostile(
            "movements-yaml-int-2-63",
            "movements-yaml",
            _b(f"- {{key: m1, kind: contribution, date: 2025-05-01, amount: {MAX}, partner: NHS}}\n"),
            "TP551",
        ),
        Hostile(
            "movements-amount-nan", "movements", movements("m1,contribution,01/05/2025,NaN,NHS\n"), "TP531"
        ),
        Hostile(
            "movements-ragged",
            "movements",
            movements("m1,contribution,01/05/2025,1.00,NHS,extra,more\n"),
            "TP524",
        ),
        Hostile(
            "movements-huge-field",
            "movements",
            movements("m1,contribution,01/05/2025,1.00," + "N" * 200_000 + "\n"),
            "TP524",
        ),
        Hostile("movements-fine", "movements", movements("m1,contribution,01/05/2025,1.00,NHS\n")),
        Hostile("movements-yaml-deep", "movements-yaml", _b(DEEP_YAML), "TP555"),
        Hostile(
            "movements-yaml-repeated-key",
            "movements-yaml",
            _b("- {key: m1, key: m2, kind: spend}\n"),
            "TP554",
        ),
    ]


def model_cases() -> list[Hostile]:
    """CBA models, unit-cost files, frameworks, rules, specifications, centroids and mappings."""
    framework = _b("name: f\ntitle: F\noutcomes: []\n")
    rules = _b("description: d\nsource: s\nvintage: v\nlicence: l\nrules: []\n")
    spec = _b("name: s\nlevel: oa\ntables: {}\nvariables: []\n")
    mapping = _b("columns:\n  date: Posted\n  supplier: Vendor\n  amount: Net\n")
    return [
        *yaml_cases("model", _model(), "title"),
        Hostile("model-amount-1e309", "model", _model().replace(b"'5000'", b"1e309"), "TP800"),
        Hostile("model-amount-float-1e309", "model", _model().replace(b"'5000'", b"1.0e309"), "TP800"),
        Hostile("model-success-nan", "model", _model().replace(b"success: 0.1", b"success: .nan"), "TP800"),
        Hostile(
            "model-cohort-10-to-30",
            "model",
            _model().replace(b"2025-26: 100", b"2025-26: 1000000000000000000000000000000"),
            "TP800",
        ),
        Hostile(
            "model-unit-cost-huge",
            "model",
            _model().replace(b"Council: '1000'", b"Council: '99999999999999999999'"),
            "TP800",
        ),
        Hostile("model-fine", "model", _model()),
        *yaml_cases("framework", framework, "title"),
        *yaml_cases("rules", rules, "source"),
        *yaml_cases("spec", spec, "level"),
        *yaml_cases("mapping", mapping, "columns"),
        Hostile(
            "unit-costs-huge",
            "unit-costs",
            _b(UNIT_COSTS + "U1,d,Council,99999999999999999999,0,0,2025-26,1,s\n"),
            "TP800",
        ),
        Hostile(
            "unit-costs-grade-nan",
            "unit-costs",
            _b(UNIT_COSTS + "U1,d,Council,1,0,0,2025-26,NaN,s\n"),
            "TP800",
        ),
        Hostile("unit-costs-ragged", "unit-costs", _b(UNIT_COSTS + "U1\n")),
        Hostile("centroids-nan", "centroids", _b(CENTROIDS + "a,1,NaN\nb,2,3\n"), "TP700"),
        Hostile("centroids-inf", "centroids", _b(CENTROIDS + "a,1,inf\nb,2,3\n"), "TP700"),
        Hostile("centroids-1e309", "centroids", _b(CENTROIDS + "a,1,1e309\nb,2,3\n"), "TP700"),
        Hostile("centroids-ragged", "centroids", _b(CENTROIDS + "a,1\nb,2,3\n"), "TP700"),
        Hostile(
            "centroids-field-200k", "centroids", _b(CENTROIDS + "a,1," + "9" * 200_000 + "\nb,2,3\n"), "TP700"
        ),
    ]


def all_cases() -> list[Hostile]:
    """Every case of the corpus."""
    return [
        *spend_cases(),
        *spend_format_cases(),
        *xlsx_cases(),
        *geography_cases(),
        *geojson_structure_cases(),
        *census_cases(),
        *assets_cases(),
        *observation_cases(),
        *pool_cases(),
        *movement_cases(),
        *model_cases(),
    ]


SUFFIX: dict[str, str] = {
    "agreement": ".yaml",
    "model": ".yaml",
    "framework": ".yaml",
    "rules": ".yaml",
    "spec": ".yaml",
    "mapping": ".yaml",
    "movements-yaml": ".yaml",
}
Runner = Callable[..., object]


def suffix_for(case: Hostile) -> str:
    """The file name extension a user would give the file."""
    if case.importer in SUFFIX:
        return SUFFIX[case.importer]
    if case.data.startswith(b"PK"):
        return ".xlsx" if b"xl/" in case.data else ".zip"
    if case.data.lstrip().startswith(b"{"):
        return ".geojson"
    return ".csv"


def json_dumps(value: object) -> str:
    """JSON text (for hand-built cases)."""
    return json.dumps(value)
