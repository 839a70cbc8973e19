"""The records log readers hand out: one entry, and where a reader stopped."""

from __future__ import annotations

from dockyard.utils.record import record


@record(frozen=True)
class LogEntry:
    """One log message: `data` keeps its newline; a partial message (a piece of a line
    longer than 16 KiB, or the unterminated tail at EOF) has none."""

    stream: str  # "stdout" | "stderr"
    data: bytes
    time_ns: int


@record(frozen=True)
class Cursor:
    """Where the last read ended: the current log file (by inode, so a rotation is noticed)
    and the offset just past its last complete record."""

    inode: int = 0
    offset: int = 0
