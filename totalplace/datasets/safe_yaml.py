"""Loading YAML a user supplies (agreements, models, rules, frameworks, specifications, mappings, movements).

Every such file is read here, and nowhere else, so that each is held to the same rules:

- only YAML's plain types: ``!!python`` and other tags are refused (PyYAML's safe loader);
- no key written twice in one mapping: YAML keeps the last silently, so a second ``cash:`` would change an
  agreement without anyone noticing; the problem names the key and both lines (TP554);
- nesting at most :data:`MAX_DEPTH` deep (TP555), checked on the event stream before any tree is built, so a
  file nested 100,000 deep is refused in milliseconds instead of exhausting the interpreter's stack;
- at most :data:`MAX_NODES` values once aliases are expanded (TP556): nine nested aliases of ten ("billion
  laughs") would otherwise ask any reader of the result to walk a billion values;
- at most :data:`MAX_CHARS` characters (TP556).

libyaml parses where it is installed (it is, with PyYAML's wheels), PyYAML's Python parser where not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml

from totalplace.datasets import problems as codes
from totalplace.errors import DocumentRefusedError, RowProblem

MAX_DEPTH: Final = 64
MAX_NODES: Final = 1_000_000
MAX_CHARS: Final = 16 * 1024 * 1024

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENS: Final = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES: Final = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_MERGE: Final = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class YamlDocument:
    """A loaded document and its node tree (whose marks say on which line each value is written)."""

    data: Any
    node: yaml.Node | None


def refuse(file: str, code: str, line: int, column: str, value: str, message: str) -> DocumentRefusedError:
    """The coded error for one problem in a YAML or JSON document."""
    return DocumentRefusedError(file, [RowProblem(code, file, line, column, value[:200], message)])


def decode(data: str | bytes, file: str) -> str:
    """Text from a file's bytes (UTF-8, with or without a byte-order mark), or a coded refusal."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(
            file, codes.ENCODING, 0, "", "", f"the file is not UTF-8 text (byte {exc.start:,})"
        ) from None


def load_yaml(data: str | bytes, file: str) -> YamlDocument:
    """The document in ``data``, or :class:`DocumentRefusedError` naming the problem and its line."""
    text = decode(data, file)
    if len(text) > MAX_CHARS:
        raise refuse(
            file,
            codes.TOO_LARGE_DOCUMENT,
            0,
            "",
            "",
            f"the file has {len(text):,} characters; YAML files are limited to {MAX_CHARS:,}",
        )
    try:
        _check_shape(text, file)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_keys(node, file)
            data_out = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = str(getattr(exc, "problem", None) or exc)
        raise refuse(file, codes.NOT_YAML, line, "", "", f"not YAML: {problem}") from None
    return YamlDocument(data_out, node)


def _check_shape(text: str, file: str) -> None:
    """Refuse nesting past MAX_DEPTH and more than MAX_NODES values with aliases expanded, from the events."""
    depth = count = 0
    opened: list[tuple[str | None, int]] = []
    sizes: dict[str, int] = {}
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _OPENS):
            count += 1
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 0
                message = f"the document is nested more than {MAX_DEPTH} levels deep"
                raise refuse(file, codes.TOO_DEEP, line, "", "", message)
            opened.append((event.anchor, count))
        elif isinstance(event, _CLOSES):
            anchor, start = opened.pop()
            depth -= 1
            if anchor is not None:
                sizes[anchor] = count - start + 1
        elif isinstance(event, yaml.ScalarEvent):
            count += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            count += sizes.get(event.anchor or "", 1)
        if count > MAX_NODES:
            line = event.start_mark.line + 1 if event.start_mark else 0
            message = f"the document holds more than {MAX_NODES:,} values once its aliases are expanded"
            raise refuse(file, codes.TOO_LARGE_DOCUMENT, line, "", "", message)


def _check_keys(root: yaml.Node, file: str) -> None:
    """Refuse a mapping that writes one key twice, naming the key and both lines."""
    pending, seen_nodes = [root], set()
    while pending:
        node = pending.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                    line = key.start_mark.line + 1
                    first = lines.get((key.tag, key.value))
                    if first is not None:
                        raise refuse(
                            file,
                            codes.REPEATED_KEY,
                            line,
                            str(key.value)[:200],
                            str(key.value),
                            f"the key {str(key.value)[:80]!r} is written twice in one mapping "
                            f"(lines {first} and {line}); YAML would keep only the last, so keep one",
                        )
                    lines[(key.tag, key.value)] = line
                pending.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
