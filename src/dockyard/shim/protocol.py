"""The shim's socket protocol, shared by the shim (main) and the daemon's client.

Per connection the client sends ONE JSON line (`{"op": "state", ...}`) and the shim answers
ONE JSON line: `{"ok": true, ...}` or `{"ok": false, "kind": "<errdefs class>", "error": msg}`.
After the answer of `attach` (and of a non-detached `exec`) the connection carries frames the
other way with Docker's 8-byte header: byte 0 the stream (1 stdout, 2 stderr, 4 exit, whose
payload is the JSON exit status), bytes 4..7 the payload length, big endian.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.utils import jsonfast

TYPE_CHECKING = False  # true for mypy; the shim does not pay for typing at run time
if TYPE_CHECKING:
    from typing import Any

STDOUT = 1
STDERR = 2
EXIT = 4
HEADER_SIZE = 8
MAX_LINE = 1 << 20  # a request or answer line longer than this is refused

_KINDS: dict[str, type[errdefs.DockyardError]] = {
    cls.__name__: cls
    for cls in (
        errdefs.NotFound,
        errdefs.AlreadyExists,
        errdefs.Conflict,
        errdefs.InvalidArgument,
        errdefs.FailedPrecondition,
        errdefs.Unavailable,
        errdefs.Unimplemented,
        errdefs.Unknown,
    )
}


def header(stream: int, length: int) -> bytes:
    return bytes((stream, 0, 0, 0)) + length.to_bytes(4, "big")


def frame(stream: int, data: bytes) -> bytes:
    return header(stream, len(data)) + data


def parse_header(head: bytes) -> tuple[int, int]:
    """(stream, payload length) of an 8-byte frame header."""
    return head[0], int.from_bytes(head[4:8], "big")


def encode(msg: dict[str, Any]) -> bytes:
    return jsonfast.dumps(msg).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """One request or answer line as a dict; InvalidArgument when it is not a JSON object."""
    try:
        msg = jsonfast.loads(line)
    except ValueError:
        raise errdefs.InvalidArgument(f"malformed shim message: {line[:200]!r}") from None
    if not isinstance(msg, dict):
        raise errdefs.InvalidArgument(f"shim message is not an object: {line[:200]!r}")
    return msg


def failure(err: errdefs.DockyardError) -> dict[str, Any]:
    kind = next((k for k, cls in _KINDS.items() if isinstance(err, cls)), "Unknown")
    return {"ok": False, "kind": kind, "error": str(err)}


def check(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer itself when it is `ok`; otherwise its error, raised as its errdefs kind."""
    if answer.get("ok"):
        return answer
    cls = _KINDS.get(str(answer.get("kind")), errdefs.Unknown)
    raise cls(str(answer.get("error", "unknown shim error")))
