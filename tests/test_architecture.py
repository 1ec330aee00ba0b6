"""The rooms of the house (docs/architecture.md), checked by reading the code.

- Functions are under fifty lines (ruff adds McCabe complexity and statement counts).
- The core (engines, store, datasets, backends, governance and the top-level modules) never imports the
  web app, the command line or the reports that present it: presentation depends on the core, not back.
- Only ``store/`` writes to the transactional database.
- A public engine function takes and returns typed values, never ``dict[str, Any]``: the joins between
  engine, reports, CLI and web are then checked by ``mypy --strict``, not discovered at run time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "totalplace"
PRESENTATION = ("web", "cli", "reports")
#: Modules outside the core: presentation, and the demo, which builds a place through the public surface.
NOT_CORE = (*PRESENTATION, "demo")
UNTYPED = re.compile(r"\b(dict|Mapping|MutableMapping)\[str, Any\]")
SQL_WRITE = re.compile(
    r"^\s*(INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|(DROP|ALTER)\s+TABLE|TRUNCATE)\b"
)
SQL_BUILDERS = {"insert", "update", "delete"}


def _modules(*, under: str | None = None) -> Iterator[tuple[Path, ast.Module]]:
    root = PACKAGE / under if under else PACKAGE
    for path in sorted(root.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "."


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"


def _imported_modules(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every module a file imports, at the top or inside a function, as an absolute dotted name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module
            for alias in node.names:
                yield node, f"{node.module}.{alias.name}"


def test_the_core_never_imports_presentation() -> None:
    found = [
        f"{_where(path, node)} imports {name}"
        for path, tree in _modules()
        if _room(path) not in NOT_CORE
        for node, name in _imported_modules(tree)
        if name.split(".")[:2] in (["totalplace", room] for room in PRESENTATION)
    ]
    assert not found, "\n".join(found)


def _writes(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    builders = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            builders |= {a.asname or a.name for a in node.names if a.name in SQL_BUILDERS}
            for alias in node.names:
                if alias.name in SQL_BUILDERS:
                    yield node, f"imports sqlalchemy's {alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            # table.insert() / table.update() / table.delete(): SQLAlchemy's builders take no arguments,
            # which a dict's or a set's update never does usefully.
            if (
                isinstance(func, ast.Attribute)
                and func.attr in SQL_BUILDERS
                and not node.args
                and not node.keywords
            ):
                yield node, f"builds a SQL {func.attr}"
            if isinstance(func, ast.Name) and func.id in builders:
                yield node, f"builds a SQL {func.id}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.match(node.value):
            yield node, f"writes SQL text {node.value.strip()[:40]!r}"


def test_only_the_store_writes_to_the_database() -> None:
    found = [
        f"{_where(path, node)} {what}"
        for path, tree in _modules()
        if _room(path)
        not in ("store", "backends")  # backends define DuckDB views over parquet, not the store
        for node, what in _writes(tree)
    ]
    assert not found, "\n".join(found)


def _public_functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not child.name.startswith("_"):
                yield f"{prefix}{child.name}", child

    yield from walk(tree, "")


def _signature(func: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return ast.unparse(func.args) + " -> " + (ast.unparse(func.returns) if func.returns else "")


def test_engines_take_and_return_typed_values() -> None:
    found = [
        f"{_where(path, func)} {name}({_signature(func)})"
        for path, tree in _modules(under="engines")
        for name, func in _public_functions(tree)
        if name.rsplit(".", 1)[-1] != "to_dict"  # the JSON twin of a typed result, by design a mapping
        and UNTYPED.search(_signature(func))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from sqlalchemy import insert\ninsert(t)", 2),
        ("t.insert().values(a=1)", 1),
        ("d.update(x)\ns.update(a=1)", 0),
        ("conn.execute(text('DELETE FROM users'))", 1),
        ("conn.execute(text('SELECT 1'))", 0),
        ('"""Drop rows that repeat."""', 0),
    ],
)
def test_the_write_detector_sees_writes(source: str, expected: int) -> None:
    assert len(list(_writes(ast.parse(source)))) == expected


#: DESIGN §3: functions under fifty lines. Alembic migrations are a list of tables, not logic, and are exempt.
MAX_FUNCTION_LINES = 50


def test_functions_are_short() -> None:
    found = [
        f"{_where(path, node)} {node.name} is {node.end_lineno - node.lineno + 1} lines"
        for path, tree in _modules()
        if "migrations" not in path.parts
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not found, "\n".join(found)
