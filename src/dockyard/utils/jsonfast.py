"""JSON for the runtime's hot path, straight from CPython's `_json` accelerator.

`import json` imports `re` (and the decoder/encoder modules) for a few regular expressions
we never need: ~3 ms of the runtime's start-up. `_json` holds the C scanner and encoder that
`json` itself uses, so results are identical; indented output and errors fall back to `json`.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any


def _nan(name: str) -> float:
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[name])


class _Context:
    """The attributes `_json.make_scanner` reads from a JSONDecoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_nan)
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed JSONDecoder
# The arguments JSONEncoder passes, with default=None (no fallback for unknown types).
_encode = _json.make_encoder(
    None,
    None,  # type: ignore[arg-type]
    _json.encode_basestring_ascii,
    None,
    ": ",
    ", ",
    False,
    False,
    True,
)
_WS = " \t\n\r"


def loads(data: str | bytes) -> Any:
    text = data.decode() if isinstance(data, bytes) else data
    start = len(text) - len(text.lstrip(_WS))
    try:
        value, end = _scan(text, start)
    except Exception:
        # (_json raises JSONDecodeError through sys.modules["json.decoder"], which is not
        # imported here: without json loaded it surfaces as a SystemError instead)
        return _slow_loads(text)
    finally:
        _Context.memo.clear()
    if text[end:].strip(_WS):
        return _slow_loads(text)  # raises json's own error, with its position
    return value


def _slow_loads(text: str) -> Any:
    import json

    return json.loads(text)


def load(f: IO[bytes] | IO[str]) -> Any:
    return loads(f.read())


def dumps(value: Any, *, indent: int | None = None) -> str:
    if indent is not None:
        import json

        return json.dumps(value, indent=indent)
    return "".join(_encode(value, 0))


def dump(value: Any, f: IO[str]) -> None:
    f.write(dumps(value))
