"""Query strings and JSON as the docker CLI writes them (Go's url.Values and encoding/json).

Hand-written because urllib.parse costs ~2.5 ms of the CLI's start-up for one function.
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    Query = Mapping[str, object] | Sequence[tuple[str, object]]

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_HEX = "0123456789ABCDEF"
# Compact JSON as Go's encoding/json writes it (request bodies and filters in queries).
_encode = _json.make_encoder(
    None,
    None,  # type: ignore[arg-type]  # no fallback for unknown types: a TypeError is a bug
    _json.encode_basestring,
    None,
    ":",
    ",",
    False,
    False,
    True,
)


def dumps(value: object) -> str:
    """Compact JSON (Go's json.Marshal separators)."""
    return "".join(_encode(value, 0))


def quote(text: str, *, plus: bool = True) -> str:
    """Go's url.QueryEscape (or PathEscape-like with plus=False: space as %20)."""
    out = []
    for b in text.encode():
        if b in _SAFE:
            out.append(chr(b))
        elif b == 0x20 and plus:
            out.append("+")
        else:
            out.append("%" + _HEX[b >> 4] + _HEX[b & 15])
    return "".join(out)


def _query_value(value: object) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)


def encode_query(query: Query) -> str:
    """The query string as the docker CLI's url.Values.Encode writes it.

    Keys sorted; None dropped; bools "1"/"0" (what moby's httputils.BoolValue reads, and what
    the docker CLI sends: all=1, force=1); dicts and lists as compact JSON (filters, buildargs,
    labels); a tuple repeats the key once per item (`t` of /build, `changes` of /commit).
    A sequence of (key, value) pairs keeps its order instead."""
    items = sorted(query.items()) if hasattr(query, "items") else list(query)
    parts: list[str] = []
    for key, value in items:
        if value is None:
            continue
        k = quote(key)
        if isinstance(value, tuple):
            parts.extend(f"{k}={quote(_query_value(v))}" for v in value if v is not None)
        else:
            parts.append(f"{k}={quote(_query_value(value))}")
    return "&".join(parts)
