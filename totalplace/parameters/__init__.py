"""Cited parameters: every figure or classification from outside lives here as YAML with its source.

Each file starts with ``description``, ``source`` (a citation a reader can follow), ``vintage`` (the date or
edition the values are from) and ``licence``. A test fails if any file lacks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from totalplace.errors import ConfigurationError

REQUIRED_METADATA = ("description", "source", "vintage", "licence")


@dataclass(frozen=True)
class ParameterFile:
    """A parameter file's metadata and body."""

    name: str
    description: str
    source: str
    vintage: str
    licence: str
    body: dict[str, Any]


def parse_parameter_text(name: str, text: str | bytes) -> ParameterFile:
    """Parse YAML text into a cited parameter file, refusing one without its citation.

    Place rule files are written by users, so this reads through the one safe loader (a key written twice,
    nesting too deep: DocumentRefusedError naming the line).
    """
    from totalplace.datasets.safe_yaml import load_yaml

    document = load_yaml(text, name).data
    if not isinstance(document, dict):
        raise ConfigurationError(f"parameter file {name} is not a mapping")
    missing = [key for key in REQUIRED_METADATA if not str(document.get(key) or "").strip()]
    if missing:
        raise ConfigurationError(
            f"parameter file {name} lacks {', '.join(missing)}",
            hint="every parameter says where it comes from (description, source, vintage, licence)",
        )
    description, source, vintage, licence = (str(document[key]) for key in REQUIRED_METADATA)
    return ParameterFile(name, description, source, vintage, licence, document)


def load_parameter(name: str) -> ParameterFile:
    """A packaged parameter file by its path under ``totalplace/parameters`` ("classification/x.yaml")."""
    resource = resources.files(__package__).joinpath(name)
    return parse_parameter_text(name, resource.read_text(encoding="utf-8"))


def packaged_parameter_names() -> list[str]:
    """Every packaged parameter file, as paths under ``totalplace/parameters``."""
    root = resources.files(__package__)
    names: list[str] = []
    for folder in [root, *(p for p in root.iterdir() if p.is_dir())]:
        for item in folder.iterdir():
            if item.name.endswith(".yaml"):
                names.append(item.name if folder == root else f"{folder.name}/{item.name}")
    return sorted(names)
