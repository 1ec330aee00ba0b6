"""Loading JSON a user supplies (GeoJSON boundaries, a geometry in a cell): bounded nesting, no repeated keys.

JSON, like YAML, keeps the last of two equal keys silently (``{"population": 5, "population": -5}``), so an
object that repeats a key is marked as it is built and the reader refuses it, naming the key (TP554). Nesting
is measured before parsing, on the brackets outside strings, with numpy (no Python per byte), and refused past
:data:`MAX_DEPTH` (TP555): Python's parser recurses once per level.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import TYPE_CHECKING, Any, Final

from totalplace.datasets import problems as codes
from totalplace.datasets.safe_yaml import decode, refuse

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_DEPTH: Final = 64
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


@functools.cache
def _steps() -> npt.NDArray[np.int8]:
    """+1 for each opening bracket's byte, -1 for each closing one (built on first use: NumPy loads then)."""
    import numpy as np

    step = np.zeros(256, dtype=np.int8)
    step[list(b"[{")] = 1
    step[list(b"]}")] = -1
    return step


class Repeated(dict[str, Any]):
    """An object that wrote ``key`` twice (the last value kept, as JSON readers do); refused by the reader."""

    key: str = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) == len(pairs):
        return built
    marked = Repeated(built)
    seen: set[str] = set()
    marked.key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return marked


class _NotFiniteError(ValueError):
    """A number JSON cannot hold exactly: NaN, Infinity, or one so large it reads as infinity (1e309)."""


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotFiniteError(text)
    return number


def _constant(text: str) -> float:
    raise _NotFiniteError(text)


def depth_of(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (brackets inside strings are not counted)."""
    import numpy as np

    outside = _STRING.sub(b"", data)
    steps = _steps()[np.frombuffer(outside, dtype=np.uint8)]
    brackets = steps[steps != 0].astype(np.int32)
    return int(np.cumsum(brackets).max()) if brackets.size else 0


def parse_json(data: bytes | str, file: str) -> Any:
    """The JSON value in ``data``, objects that repeat a key marked :class:`Repeated`; or a coded refusal."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    text = decode(raw, file)
    depth = depth_of(raw)
    if depth > MAX_DEPTH:
        message = f"the document is nested {depth:,} levels deep; at most {MAX_DEPTH} are read"
        raise refuse(file, codes.TOO_DEEP, 0, "", "", message)
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_float=_finite, parse_constant=_constant)
    except _NotFiniteError as exc:
        message = f"{str(exc)[:40]} is not a finite number"
        raise refuse(file, codes.NUMBER_OUT_OF_RANGE, 0, "", str(exc), message) from None
    except json.JSONDecodeError as exc:
        raise refuse(file, codes.NOT_YAML, exc.lineno, "", "", f"not valid JSON: {exc.msg}") from None
    except ValueError as exc:  # a whole number of thousands of digits (Python's int limit)
        raise refuse(file, codes.NUMBER_OUT_OF_RANGE, 0, "", "", f"a number cannot be read: {exc}") from None
    except RecursionError:
        raise refuse(file, codes.TOO_DEEP, 0, "", "", "the document is nested too deeply") from None


def load_json(data: bytes | str, file: str) -> Any:
    """The JSON value in ``data``, refusing any object anywhere in it that repeats a key."""
    value = parse_json(data, file)
    repeated = first_repeated(value)
    if repeated is not None:
        message = f"the key {repeated.key[:80]!r} is written twice in one object; keep one"
        raise refuse(file, codes.REPEATED_KEY, 0, repeated.key[:200], repeated.key, message)
    return value


def first_repeated(value: Any) -> Repeated | None:
    """The first object in ``value`` (depth first) that repeats a key, or None."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Repeated):
            return item
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(v for v in item if isinstance(v, dict | list))
    return None
