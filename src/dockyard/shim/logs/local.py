"""The `local` driver's file format: compact binary records, readable backwards.

Like moby's local driver (which frames protobuf messages the same way), each record carries
its length before and after it, so `--tail` walks back from the end without scanning the file:

    len:u32be | stream:u8 (1 stdout, 2 stderr) | time_ns:i64be | data | len:u32be

where len counts the bytes between the two length fields. `data` keeps its newline (a partial
message has none), as in json-file.
"""

from __future__ import annotations

from dockyard.shim.logs.entry import LogEntry

TYPE_CHECKING = False  # true for mypy; the shim does not pay for typing at run time
if TYPE_CHECKING:
    from dockyard.shim.logs.reader import LogFile

_STREAMS = {"stdout": 1, "stderr": 2}
_NAMES = {1: "stdout", 2: "stderr"}
_HEAD = 4 + 1 + 8  # length, stream, time
_FRAME = 8  # the two length fields


class LocalCodec:
    """The Codec of the local driver (see files.Codec)."""

    def encode(self, stream: str, data: bytes, time_ns: int) -> bytes:
        size = (1 + 8 + len(data)).to_bytes(4, "big")
        ts = time_ns.to_bytes(8, "big", signed=True)
        return b"".join((size, bytes((_STREAMS.get(stream, 1),)), ts, data, size))

    def decode(self, buf: bytes) -> tuple[list[LogEntry], int]:
        entries: list[LogEntry] = []
        pos = 0
        while len(buf) - pos >= _HEAD:
            size = int.from_bytes(buf[pos : pos + 4], "big")
            end = pos + 4 + size + 4
            if size < 9 or end > len(buf):
                break
            if buf[end - 4 : end] != buf[pos : pos + 4]:
                break  # damaged: what follows cannot be trusted
            entries.append(
                LogEntry(
                    stream=_NAMES.get(buf[pos + 4], "stdout"),
                    time_ns=int.from_bytes(buf[pos + 5 : pos + 13], "big", signed=True),
                    data=buf[pos + 13 : end - 4],
                )
            )
            pos = end
        return entries, pos

    def _record_before(self, f: LogFile, end: int) -> int:
        """Start of the record ending at `end`, or -1 if the bytes there are not one."""
        if end < _HEAD + 4:
            return -1
        size = int.from_bytes(f.pread(4, end - 4), "big")
        start = end - size - _FRAME
        if size < 9 or start < 0 or int.from_bytes(f.pread(4, start), "big") != size:
            return -1
        return start

    def tail_start(self, f: LogFile, end: int, n: int) -> tuple[int, int]:
        count = 0
        pos = end
        while pos > 0 and count < n:
            start = self._record_before(f, pos)
            if start < 0:
                break
            pos = start
            count += 1
        return pos, count

    def complete_end(self, f: LogFile) -> int:
        if f.size == 0 or self._record_before(f, f.size) >= 0:
            return f.size
        pos = 0  # a record is half-written: find the end of the last whole one
        while True:
            chunk = f.pread(1 << 20, pos)
            _entries, used = self.decode(chunk)
            if used == 0:
                return pos
            pos += used
