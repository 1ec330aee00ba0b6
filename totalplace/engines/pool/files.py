"""Reading agreement and variation YAML, with every problem located to its line and field.

pydantic says which field is wrong; the YAML node tree says where that field is written, so a finance officer
is told "line 14, contributions.2.cash" rather than a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import yaml
from pydantic import ValidationError

from totalplace.datasets.safe_yaml import load_yaml
from totalplace.engines.pool.agreement import Agreement
from totalplace.errors import AgreementInvalidError, DocumentRefusedError, RowProblem, TotalplaceError

#: The code of every problem found in an agreement or a variation (the code of AgreementInvalidError).
AGREEMENT_INVALID = AgreementInvalidError.code


def parse_yaml(
    text: str | bytes,
    file: str,
    error: Callable[[str, list[RowProblem]], TotalplaceError] = AgreementInvalidError,
) -> tuple[object, yaml.Node | None]:
    """The document (a mapping) and its node tree, or a located ``error`` for YAML that does not parse or is
    refused (a key written twice, nesting too deep: the problem keeps the loader's own code, TP554 to TP559).
    """
    try:
        document = load_yaml(text, file)
    except DocumentRefusedError as refused:
        raise error(file, refused.problems) from None
    data, node = document.data, document.node
    if not isinstance(data, dict):
        raise error(file, [RowProblem(_code(error), file, 1, "", "", "expected a mapping of fields")])
    return data, node


def line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int:
    """The 1-based line where the value at ``path`` is written (or its nearest written parent)."""
    line = node.start_mark.line + 1 if node is not None else 0
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def _code(error: Callable[..., TotalplaceError]) -> str:
    return str(getattr(error, "code", AGREEMENT_INVALID))


def problems_from(
    exc: ValidationError,
    file: str,
    node: yaml.Node | None,
    code: str = AGREEMENT_INVALID,
    *,
    at: tuple[str | int, ...] = (),
) -> list[RowProblem]:
    """One located problem per pydantic error; ``at`` is where the validated value sits in the document."""
    out: list[RowProblem] = []
    for err in exc.errors():
        path = (*at, *(p for p in err["loc"] if isinstance(p, str | int)))
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else str(value)
        message = str(err["msg"]).removeprefix("Value error, ")
        out.append(
            RowProblem(code, file, line_of(node, path), ".".join(map(str, path)), shown[:200], message)
        )
    return out


def load_agreement(text: str | bytes, file: str) -> Agreement:
    """An agreement from YAML text, or AgreementInvalidError listing every problem."""
    data, node = parse_yaml(text, file)
    return _validate(data, file, node)


def stored_agreement(agreement_json: str, name: str) -> Agreement:
    """An agreement from the JSON the store keeps of it (checked again: a stored version is data like any)."""
    return _validate(json.loads(agreement_json), name)


def checked_agreement(agreement: Agreement, file: str) -> Agreement:
    """``agreement`` validated whole again, as it would be read back: for an agreement built by changing
    another (a copy with changed fields is not checked by pydantic), so its parts must still agree."""
    return _validate(agreement.model_dump(mode="json"), file)


def agreement_json(agreement: Agreement) -> str:
    """The agreement as the store keeps it: its fields as JSON, keys sorted (what a version is hashed on)."""
    return json.dumps(agreement.model_dump(mode="json"), sort_keys=True)


def _validate(data: object, file: str, node: yaml.Node | None = None) -> Agreement:
    """An agreement from its parsed fields, or AgreementInvalidError listing every problem."""
    try:
        return Agreement.model_validate(data)
    except ValidationError as exc:
        raise AgreementInvalidError(file, problems_from(exc, file, node)) from None
