"""Docker's json-file format, byte for byte.

Each message is one line `{"log":"...","stream":"stdout","time":"<RFC3339Nano>"}` followed by
a newline, written as moby's jsonlog.JSONLogs.MarshalJSONBuf does: the string escaping of
`ffjsonWriteJSONBytesAsString` (`\\"`, `\\\\`, `\\n`, `\\r`; other control characters and
`<`, `>`, `&` as `\\u00XX`; U+2028/U+2029 escaped; each invalid UTF-8 byte as `\\ufffd`;
everything else verbatim) and the time in UTC with trailing zeros dropped.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.shim.logs.entry import LogEntry
from dockyard.shim.logs.timefmt import format_rfc3339nano, parse_rfc3339nano
from dockyard.utils import jsonfast

TYPE_CHECKING = False  # true for mypy; the shim does not pay for typing at run time
if TYPE_CHECKING:
    from dockyard.shim.logs.reader import LogFile

_BLOCK = 64 * 1024


def _escape_table() -> dict[int, str]:
    table: dict[int, str] = {c: f"\\u{c:04x}" for c in range(0x20)}
    table.update({0x0A: "\\n", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
    table.update({ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"})
    table.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
    # surrogateescape turns each undecodable byte into one lone surrogate U+DC80..U+DCFF;
    # Go's DecodeRune likewise rejects invalid input one byte at a time.
    table.update({c: "\\ufffd" for c in range(0xDC80, 0xDD00)})
    return table


_ESCAPES = _escape_table()


def quote(data: bytes) -> str:
    """`data` as a JSON string literal, escaped exactly as Docker's json-file writer does."""
    return '"' + data.decode("utf-8", "surrogateescape").translate(_ESCAPES) + '"'


class JSONFileCodec:
    """The Codec of json-file (see files.Codec)."""

    def encode(self, stream: str, data: bytes, time_ns: int) -> bytes:
        # moby omits an empty "log"; the copier never produces one (a line keeps its newline)
        head = '{"log":' + quote(data) + "," if data else "{"
        line = f'{head}"stream":"{stream}","time":"{format_rfc3339nano(time_ns)}"}}\n'
        return line.encode("utf-8", "surrogatepass")

    def decode(self, buf: bytes) -> tuple[list[LogEntry], int]:
        end = buf.rfind(b"\n") + 1
        entries: list[LogEntry] = []
        for line in buf[:end].split(b"\n"):
            if not line:
                continue
            try:
                doc = jsonfast.loads(line)
                entries.append(
                    LogEntry(
                        stream=str(doc.get("stream", "")),
                        data=str(doc.get("log", "")).encode("utf-8", "surrogatepass"),
                        time_ns=parse_rfc3339nano(str(doc.get("time", ""))),
                    )
                )
            except (ValueError, AttributeError, errdefs.InvalidArgument):
                continue  # a damaged line is skipped: the rest of the log is still readable
        return entries, end

    def tail_start(self, f: LogFile, end: int, n: int) -> tuple[int, int]:
        """Scan backwards from `end` (just past a newline) for the start of the n-th last line."""
        count = 0
        pos = end - 1  # the newline ending the last line
        while pos > 0:
            lo = max(0, pos - _BLOCK)
            block = f.pread(pos - lo, lo)
            i = len(block)
            while True:
                i = block.rfind(b"\n", 0, i)
                if i < 0:
                    break
                count += 1
                if count == n:
                    return lo + i + 1, count
            pos = lo
        return 0, count + (1 if end > 0 else 0)

    def complete_end(self, f: LogFile) -> int:
        pos = f.size
        while pos > 0:
            lo = max(0, pos - _BLOCK)
            i = f.pread(pos - lo, lo).rfind(b"\n")
            if i >= 0:
                return lo + i + 1
            pos = lo
        return 0
