"""The Engine API's two stream shapes: 8-byte multiplexed frames and streamed JSON.

- Without a TTY, attach, exec and logs multiplex stdout and stderr on one stream: each frame is
  a header `[stream, 0, 0, 0, size (4 bytes, big endian)]` followed by `size` bytes, where
  stream is 0 (stdin), 1 (stdout) or 2 (stderr) (moby's pkg/stdcopy).
- Pull, push, build, events and stats send JSON values one after the other, newline-separated
  or simply concatenated.
"""

from __future__ import annotations

import _json
import codecs

from dockyard import errdefs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

STDIN, STDOUT, STDERR = 0, 1, 2
_WS = " \t\n\r"


class StreamError(errdefs.Unknown):
    """A stream that breaks its framing (a bad header, truncated JSON)."""


def _read_full(read: Callable[[int], bytes], n: int) -> bytes:
    """n bytes from `read`, which may return fewer; fewer than n only at end of stream."""
    data = read(n)
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def demux(read: Callable[[int], bytes]) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) for each frame of a multiplexed stream, until its end.

    `read(n)` returns up to n bytes (b"" at the end). A frame is yielded whole, as stdcopy
    writes it; a truncated last frame yields what arrived."""
    while True:
        header = _read_full(read, 8)
        if not header:
            return
        if len(header) < 8:
            raise StreamError(f"unexpected EOF in a stream header ({len(header)} of 8 bytes)")
        stream = header[0]
        if stream > STDERR or header[1:4] != b"\x00\x00\x00":
            raise StreamError(f"Unrecognized input header: {stream}")
        size = int.from_bytes(header[4:8], "big")
        payload = _read_full(read, size) if size else b""
        yield stream, payload
        if len(payload) < size:
            return


def frame(stream: int, payload: bytes) -> bytes:
    """One multiplexed frame (what the daemon writes; tests and fakes use it)."""
    return bytes((stream, 0, 0, 0)) + len(payload).to_bytes(4, "big") + payload


def _nan(name: str) -> float:
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[name])


class _Context:
    """The attributes `_json.make_scanner` reads from a JSONDecoder (see utils/jsonfast.py:
    `import json` costs `re` and ~3 ms; its C scanner is all we need)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_nan)
    memo: dict[str, str] = {}


_scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed JSONDecoder


def json_values(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Each JSON value of a stream, as soon as it is complete, whatever the chunking."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    text = ""
    for chunk in chunks:
        text += decoder.decode(chunk)
        pos = 0
        while True:
            pos = len(text) - len(text[pos:].lstrip(_WS))
            if pos == len(text):
                text = ""
                break
            try:
                value, end = _scan(text, pos)
            except Exception:  # incomplete (or bad: seen at the end) - wait for more
                text = text[pos:]
                break
            finally:
                _Context.memo.clear()
            yield value
            pos = end
    text += decoder.decode(b"", True)
    if text.strip(_WS):
        for value in _values_of(text):
            yield value


def _values_of(text: str) -> Iterator[Any]:
    """The values of a complete text, with json's own error for the first bad one."""
    import json

    decoder = json.JSONDecoder()
    pos = 0
    while True:
        pos = len(text) - len(text[pos:].lstrip(_WS))
        if pos == len(text):
            return
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise StreamError(f"bad JSON in the daemon's stream: {err}") from None
        yield value
