"""`docker history` rows: historyContext (docker/cli cli/command/image/formatter_history.go).

Items are GET /images/{name}/history entries. Fields: ID, CreatedSince, CreatedAt,
CreatedBy (tabs as spaces, cut to 45 columns unless --no-trunc), Size, Comment;
`--human=false` prints RFC 3339 times and sizes in bytes.
"""

from __future__ import annotations

import time

from dockyard.cli.format import formatter
from dockyard.cli.format.display import ellipsis, truncate_id
from dockyard.cli.format.units import human_duration, human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
NON_HUMAN_TABLE = "table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
HEADER = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}
_EPOCH_2000 = 946684800  # docker prints N/A for layers "created" before 2000 (no date)


def history_format(source: str, *, quiet: bool, human: bool) -> str:
    """docker's NewHistoryFormat ("" is "table")."""
    if source in ("", formatter.TABLE):
        if quiet:
            return formatter.QUIET_FORMAT
        return DEFAULT_TABLE if human else NON_HUMAN_TABLE
    return source


def rfc3339_local(epoch: int) -> str:
    """Go's time.Unix(epoch, 0).Format(time.RFC3339) in local time ("Z" for UTC)."""
    tm = time.localtime(epoch)
    offset = tm.tm_gmtoff or 0
    zone = (
        "Z"
        if offset == 0
        else f"{'+' if offset > 0 else '-'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    )
    return time.strftime("%Y-%m-%dT%H:%M:%S", tm) + zone


class HistoryContext(formatter.Context):
    GO_TYPE = "*image.historyContext"
    FIELDS = ("Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size")
    __slots__ = ("h", "human", "now", "trunc")

    def __init__(self, h: dict[str, Any], *, trunc: bool, human: bool, now: float) -> None:
        self.h = h
        self.trunc = trunc
        self.human = human
        self.now = now

    def ID(self) -> str:  # docker's field names are the methods' names
        ident = str(self.h.get("Id") or "")
        return truncate_id(ident) if self.trunc else ident

    def CreatedAt(self) -> str:
        return rfc3339_local(int(self.h.get("Created") or 0))

    def CreatedSince(self) -> str:
        if not self.human:
            return self.CreatedAt()
        created = int(self.h.get("Created") or 0)
        if created <= _EPOCH_2000:
            return "N/A"
        return human_duration(self.now - created) + " ago"

    def CreatedBy(self) -> str:
        created_by = str(self.h.get("CreatedBy") or "").replace("\t", " ")
        return ellipsis(created_by, 45) if self.trunc else created_by

    def Size(self) -> str:
        size = int(self.h.get("Size") or 0)
        return human_size(size, 3) if self.human else str(size)

    def Comment(self) -> str:
        return str(self.h.get("Comment") or "")


def write(
    out: TextIO,
    items: Iterable[dict[str, Any]],
    *,
    fmt: str = "",
    quiet: bool = False,
    trunc: bool = True,
    human: bool = True,
    now: float | None = None,
) -> None:
    """`docker history`."""
    stamp = time.time() if now is None else now
    rows = [HistoryContext(h, trunc=trunc, human=human, now=stamp) for h in items]
    formatter.write(out, history_format(fmt, quiet=quiet, human=human), rows, HEADER)
