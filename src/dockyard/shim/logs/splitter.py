"""Docker's log copier for one output stream: bytes in, log messages out.

moby's `logger.Copier` buffers at most 16 KiB per stream. Every complete line becomes one
message (its newline kept, as json-file writes it); a buffer that fills up without a newline
is logged as a *partial* message of exactly 16 KiB (no newline), and so is what is left at
EOF. The pieces of one long line share the first piece's timestamp, including the final
piece that ends in the newline.
"""

from __future__ import annotations

BUF_SIZE = 16 * 1024


class LineSplitter:
    """Split one stream's output into (data, time_ns) log messages."""

    def __init__(self, *, buf_size: int = BUF_SIZE) -> None:
        self._buf_size = buf_size
        self._pending = bytearray()  # never holds a newline between calls
        self._partial_ts = 0  # the open partial sequence's timestamp, 0 when none

    def _stamp(self, now_ns: int, *, partial: bool) -> int:
        ts = self._partial_ts or now_ns
        self._partial_ts = ts if partial else 0
        return ts

    def feed(self, data: bytes, now_ns: int) -> list[tuple[bytes, int]]:
        out: list[tuple[bytes, int]] = []
        pending = self._pending
        i = 0
        while i < len(data):
            room = self._buf_size - len(pending)
            pending += data[i : i + room]
            i += room
            p = 0
            q = pending.find(b"\n")
            while q >= 0:
                out.append((bytes(pending[p : q + 1]), self._stamp(now_ns, partial=False)))
                p = q + 1
                q = pending.find(b"\n", p)
            if p == 0 and len(pending) == self._buf_size:
                out.append((bytes(pending), self._stamp(now_ns, partial=True)))
                pending.clear()
            else:
                del pending[:p]
        return out

    def flush(self, now_ns: int) -> list[tuple[bytes, int]]:
        """At EOF: what is left, as one partial message."""
        if not self._pending:
            return []
        out = [(bytes(self._pending), self._stamp(now_ns, partial=True))]
        self._pending.clear()
        return out
