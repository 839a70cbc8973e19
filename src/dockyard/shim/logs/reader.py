"""Reading a container's log: the current file and its rotated history, in one Codec.

Files: `<path>.K ... <path>.1, <path>` oldest first (files.py rotates them), possibly
gzip-compressed as `<path>.i.gz` (Docker's `compress` option). `read()` follows moby's
semantics: `tail` picks the last N entries first, then `since` skips entries until the first
one at or after it and `until` stops at the first one after it. `poll()` continues from a
Cursor and notices rotations by inode.
"""

from __future__ import annotations

import os

from dockyard.shim.logs.entry import Cursor, LogEntry

TYPE_CHECKING = False  # true for mypy; the shim does not pay for typing at run time
if TYPE_CHECKING:
    from typing import Protocol

    class Codec(Protocol):
        """A log file format: records in, records out, and the two backward scans."""

        def encode(self, stream: str, data: bytes, time_ns: int) -> bytes: ...

        def decode(self, buf: bytes) -> tuple[list[LogEntry], int]:
            """The complete records at the start of buf and how many bytes they took."""
            ...

        def tail_start(self, f: LogFile, end: int, n: int) -> tuple[int, int]:
            """(offset, count): where the last n records before `end` start (or fewer)."""
            ...

        def complete_end(self, f: LogFile) -> int:
            """The offset just past the last complete record (a writer may be mid-write)."""
            ...


MAX_ROTATED = 1000  # a bound on the <path>.N scan; Docker's max-file is a small number
_CHUNK = 1 << 20


class LogFile:
    """One file being read: an open descriptor (or, for .gz, the decompressed bytes)."""

    def __init__(self, *, fd: int = -1, data: bytes | None = None) -> None:
        self.fd = fd
        self.data = data
        st = os.fstat(fd) if fd >= 0 else None
        self.inode = st.st_ino if st is not None else 0
        self.size = st.st_size if st is not None else len(data or b"")

    def pread(self, n: int, offset: int) -> bytes:
        if self.data is not None:
            return self.data[offset : offset + n]
        return os.pread(self.fd, n, offset)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _open_plain(path: str) -> LogFile | None:
    try:
        return LogFile(fd=os.open(path, os.O_RDONLY | os.O_CLOEXEC))
    except FileNotFoundError:
        return None


def _open_gz(path: str) -> LogFile | None:
    import gzip

    try:
        with open(path, "rb") as f:
            return LogFile(data=gzip.decompress(f.read()))
    except FileNotFoundError:
        return None
    except (OSError, EOFError):
        return LogFile(data=b"")  # a compression still under way, or a damaged file


def _window(entries: list[LogEntry], since_ns: int, until_ns: int) -> tuple[list[LogEntry], bool]:
    """moby's forwarder: skip entries before `since` until the first one at or after it
    (timestamps need not be monotonic), stop at the first one after `until` (both
    inclusive). Returns (entries, reached_until)."""
    out: list[LogEntry] = []
    for e in entries:
        if since_ns:
            if e.time_ns < since_ns:
                continue
            since_ns = 0
        if until_ns and e.time_ns > until_ns:
            return out, True
        out.append(e)
    return out, False


class FileLogReader:
    """Reads one container's log (current file plus its rotated history) in a Codec."""

    def __init__(self, path: str, codec: Codec) -> None:
        self.path = path
        self.codec = codec

    def _open(self) -> tuple[list[LogFile], LogFile | None]:
        """The rotated files oldest first, and the current file (None when missing)."""
        current = _open_plain(self.path)
        rotated: list[LogFile] = []
        for i in range(1, MAX_ROTATED):
            f = _open_plain(f"{self.path}.{i}") or _open_gz(f"{self.path}.{i}.gz")
            if f is None:
                break
            if current is not None and f.inode == current.inode:
                f.close()  # rotated between our two opens: read it once, as current
                continue
            rotated.append(f)
        rotated.reverse()
        return rotated, current

    def _decode(self, f: LogFile, start: int, end: int) -> list[LogEntry]:
        entries: list[LogEntry] = []
        carry = b""
        pos = start
        while pos < end:
            chunk = carry + f.pread(min(_CHUNK, end - pos), pos)
            if len(chunk) == len(carry):
                break  # the file shrank under us
            pos += len(chunk) - len(carry)
            got, used = self.codec.decode(chunk)
            entries += got
            carry = chunk[used:]
        return entries

    def read(
        self, *, since_ns: int = 0, until_ns: int = 0, tail: int = -1
    ) -> tuple[list[LogEntry], Cursor]:
        """The entries in [since, until] among the last `tail` ones (-1: all), oldest first,
        and a cursor for poll()."""
        rotated, current = self._open()
        try:
            end = self.codec.complete_end(current) if current is not None else 0
            cursor = Cursor(inode=current.inode if current is not None else 0, offset=end)
            files = [(f, f.size) for f in rotated]
            if current is not None:
                files.append((current, end))
            segments: list[tuple[LogFile, int, int]] = []
            if tail < 0:
                segments = [(f, 0, size) for f, size in files]
            else:
                remaining = tail
                for f, size in reversed(files):
                    if remaining <= 0:
                        break
                    start, count = self.codec.tail_start(f, size, remaining)
                    segments.insert(0, (f, start, size))
                    remaining -= count
            entries: list[LogEntry] = []
            for f, start, stop in segments:
                entries += self._decode(f, start, stop)
            if tail >= 0:
                entries = entries[len(entries) - tail :] if tail else []
            return _window(entries, since_ns, until_ns)[0], cursor
        finally:
            for f in rotated:
                f.close()
            if current is not None:
                current.close()

    def poll(self, cursor: Cursor) -> tuple[list[LogEntry], Cursor]:
        """The entries written after `cursor`, across any rotation since."""
        rotated, current = self._open()
        try:
            if current is None:
                return [], cursor
            end = self.codec.complete_end(current)
            if current.inode == cursor.inode:
                start = cursor.offset if cursor.offset <= end else 0  # truncated: start over
                return self._decode(current, start, end), Cursor(current.inode, end)
            entries: list[LogEntry] = []
            older = [i for i, f in enumerate(rotated) if f.inode == cursor.inode]
            if older:
                first = rotated[older[0]]
                entries += self._decode(first, cursor.offset, self.codec.complete_end(first))
                newer = rotated[older[0] + 1 :]
            else:
                newer = rotated  # our file rotated out of reach: everything left is newer
            for f in newer:
                entries += self._decode(f, 0, f.size)
            entries += self._decode(current, 0, end)
            return entries, Cursor(current.inode, end)
        finally:
            for f in rotated:
                f.close()
            if current is not None:
                current.close()
