"""Docker's JSON progress messages, as the daemon streams them for pull and push.

The shapes are moby's (pkg/jsonmessage, pkg/streamformatter, distribution/xfer): a status
line is `{"status": "Digest: sha256:..."}` (with an `id` when it is about one tag or layer);
a layer's state is `{"status": "Pull complete", "progressDetail": {}, "id": "<12 hex>"}`;
a byte count adds `progressDetail: {current, total}` and the bar the daemon draws itself,
`"progress": "[=====>        ]  12.5MB/50MB"`. The docker CLI redraws one line per `id`,
so ids are the first 12 hex digits of the layer digest. Byte updates go out at most every
100 ms per layer and action (moby's progress reader), and always at their end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

JSONMessage = dict[str, Any]
Sink = Callable[[JSONMessage], None]
INTERVAL = 0.1  # seconds between byte-count updates of one layer and action

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def short_id(digest: str) -> str:
    """stringid.TruncateID: the 12 hex digits the CLI shows for a layer."""
    return digest.split(":", 1)[-1][:12]


def human_size(size: float) -> str:
    """go-units HumanSize: decimal units, four significant digits ("1.235MB", "512B")."""
    unit = 0
    while size >= 1000.0 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{size:.4g}{_UNITS[unit]}"


def progress_bar(current: int, total: int) -> str:
    """JSONProgress.String() as the daemon computes it (no terminal, so width 200)."""
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}"
    percentage = min(int(current / total * 100) // 2, 50)
    bar = "[" + "=" * percentage + ">" + " " * max(50 - percentage, 0) + "] "
    if current > total:
        return bar + f"{human_size(current):>8}"
    return bar + f"{human_size(current):>8}/{human_size(total)}"


class ProgressOutput:
    """Writes progress messages to a sink (the API stream; None discards them)."""

    def __init__(
        self,
        sink: Sink | None,
        *,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sink = sink
        self._interval = interval
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def message(self, status: str, *, id: str = "") -> None:
        """A plain status line: "Pulling from library/alpine", "Digest: sha256:..."."""
        out: JSONMessage = {"status": status}
        if id:
            out["id"] = id
        self._emit(out)

    def update(self, id: str, action: str) -> None:
        """A layer's new state: "Pulling fs layer", "Waiting", "Pull complete"..."""
        self._emit({"status": action, "progressDetail": {}, "id": id})

    def progress(self, id: str, action: str, current: int, total: int) -> None:
        """A byte count ("Downloading", "Extracting", "Pushing"), rate-limited; the last
        one (current >= total) always goes out."""
        key = (id, action)
        now = self._clock()
        last = self._last.get(key)
        done = current >= total > 0
        if not done and last is not None and now - last < self._interval:
            return
        self._last[key] = now
        detail: dict[str, int] = {}
        if current:
            detail["current"] = current
        if total:
            detail["total"] = total
        out: JSONMessage = {"status": action, "progressDetail": detail}
        bar = progress_bar(current, total)
        if bar:
            out["progress"] = bar
        out["id"] = id
        self._emit(out)

    def aux(self, value: dict[str, Any]) -> None:
        """Out-of-band data the CLI hands to a callback (push's {"Tag","Digest","Size"})."""
        self._emit({"progressDetail": {}, "aux": value})

    def _emit(self, message: JSONMessage) -> None:
        if self._sink is not None:
            self._sink(message)


def render(message: JSONMessage, *, terminal: bool) -> str | None:
    """One message as jsonmessage.Display prints it (without cursor movement); None for what
    a non-terminal skips (byte counts). Errors are the caller's to raise."""
    detail = message.get("progressDetail")
    bar = ""
    if isinstance(detail, dict):
        bar = progress_bar(int(detail.get("current", 0)), int(detail.get("total", 0)))
        if bar and not terminal:
            return None
    if "aux" in message and "status" not in message:
        return None
    prefix = f"{message['id']}: " if message.get("id") else ""
    status = str(message.get("status", ""))
    if bar and terminal:
        return f"{prefix}{status} {bar}"
    if message.get("stream"):
        return prefix + str(message["stream"])
    return f"{prefix}{status}"
