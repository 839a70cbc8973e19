"""docker's rendering of the daemon's JSON message streams (pull, push, load, import, build).

This is moby's `pkg/jsonmessage.DisplayJSONMessagesStream` as docker 28 runs it:

- on a terminal, every message with an `id` and a progress owns one line; a new id adds a
  line at the bottom, an update moves the cursor up to its line (`ESC[nA`), erases it
  (`ESC[2K`), draws `status [=====>    ]  12.3MB/45.6MB 3s` and moves back down (`ESC[nB`);
  the bar is drawn only when the terminal is wider than 110 columns, the time left when it
  is wider than 50;
- elsewhere, progress updates with numbers are dropped and every other message is one line
  (`abc123: Pull complete`), so a log shows each status change once;
- a message without an id (or without progress) forgets the lines above, as docker does so
  that `pull -a` does not redraw the previous tag's layers;
- `aux` messages (push digests, build image ids) go to a callback and print nothing;
- an error in the stream stops the display and is raised as `StreamError` (its text printed
  as is by main, without docker's "Error response from daemon" prefix, as docker does).
"""

from __future__ import annotations

import os
import time

from dockyard import errdefs
from dockyard.cli.format.units import human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, Protocol, TextIO

    from dockyard.client.transport import Response

    class Writer(Protocol):
        def write(self, text: str, /) -> int: ...
        def flush(self) -> None: ...


ERASE_LINE = "\x1b[2K"
RFC3339_NANO_FIXED = "%Y-%m-%dT%H:%M:%S"


class StreamError(errdefs.Unknown):
    """An error the daemon reported inside a JSON message stream (`errorDetail`); `code`
    is its code, 0 when the daemon gave none (`build` exits with it, or 1)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def go_duration_seconds(seconds: int) -> str:
    """Go's Duration.String() for a whole number of seconds ("0s", "45s", "2m0s", "1h0m5s")."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def _round_half_away(nanos: int, unit: int) -> int:
    """Go's Duration.Round(unit) for a non-negative multiple count (halves away from zero)."""
    quotient, remainder = divmod(abs(nanos), unit)
    if remainder * 2 >= unit:
        quotient += 1
    return quotient if nanos >= 0 else -quotient


def render_progress(
    detail: dict[str, Any], *, width: int, now_ns: Callable[[], int] = time.time_ns
) -> str:
    """JSONProgress.String(): the bar, the counts and the time left of one progress detail."""
    current = int(detail.get("current") or 0)
    total = int(detail.get("total") or 0)
    start = int(detail.get("start") or 0)
    units = str(detail.get("units") or "")
    if current <= 0 and total <= 0:
        return ""
    if total <= 0:
        return f"{human_size(current):>8}" if units == "" else f"{current} {units}"
    percentage = min(int(current / total * 100) // 2, 50)
    bar = ""
    if width > 110:
        bar = "[" + "=" * percentage + ">" + " " * max(50 - percentage, 0) + "] "
    numbers = ""
    if detail.get("hidecounts"):
        pass
    elif units == "":
        numbers = f"{human_size(current):>8}/{human_size(total)}"
        if current > total:
            numbers = f"{human_size(current):>8}"
    else:
        numbers = f"{current}/{total} {units}"
        if current > total:
            numbers = f"{current} {units}"
    left = ""
    if width > 50 and current > 0 and start > 0 and percentage < 50:
        from_start = now_ns() - start * 1_000_000_000
        per_entry = int(from_start / current)  # Go: Duration / Duration truncates toward 0
        remaining = (total - current) * per_entry
        left = " " + go_duration_seconds(_round_half_away(remaining, 1_000_000_000))
    return bar + numbers + left


def _format_time(nanos: int) -> str:
    """RFC3339NanoFixed in local time, as Go formats jsonmessage's Time/TimeNano."""
    seconds, frac = divmod(nanos, 1_000_000_000)
    local = time.localtime(seconds)
    offset = local.tm_gmtoff or 0
    zone = "Z"
    if offset:
        sign = "+" if offset > 0 else "-"
        hours, minutes = divmod(abs(offset) // 60, 60)
        zone = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{time.strftime(RFC3339_NANO_FIXED, local)}.{frac:09d}{zone}"


def _error_of(message: dict[str, Any]) -> StreamError | None:
    detail = message.get("errorDetail")
    if isinstance(detail, dict):
        return StreamError(str(detail.get("message") or ""), int(detail.get("code") or 0))
    if message.get("error"):
        # docker reads only errorDetail; a bare "error" is an error all the same.
        return StreamError(str(message["error"]))
    return None


def display_message(
    message: dict[str, Any],
    out: Writer,
    *,
    terminal: bool,
    width: int,
    now_ns: Callable[[], int] = time.time_ns,
) -> None:
    """JSONMessage.Display: one message; raises StreamError when it carries an error."""
    error = _error_of(message)
    if error is not None:
        raise error
    detail = message.get("progressDetail")
    stream = str(message.get("stream") or "")
    status = str(message.get("status") or "")
    endl = ""
    if terminal and stream == "" and isinstance(detail, dict):
        out.write(ERASE_LINE + "\r")
        endl = "\r"
    elif isinstance(detail, dict) and render_progress(detail, width=width, now_ns=now_ns):
        return  # no progress bars off a terminal
    parts: list[str] = []
    if message.get("timeNano"):
        parts.append(_format_time(int(message["timeNano"])) + " ")
    elif message.get("time"):
        parts.append(_format_time(int(message["time"]) * 1_000_000_000) + " ")
    if message.get("id"):
        parts.append(f"{message['id']}: ")
    if message.get("from"):
        parts.append(f"(from {message['from']}) ")
    progress_message = str(message.get("progress") or "")
    if isinstance(detail, dict) and terminal:
        parts.append(f"{status} {render_progress(detail, width=width, now_ns=now_ns)}{endl}")
    elif progress_message:
        parts.append(f"{status} {progress_message}{endl}")
    elif stream:
        parts.append(stream + endl)
    else:
        parts.append(status + endl + "\n")
    out.write("".join(parts))


def display(
    messages: Iterable[Any],
    out: Writer,
    *,
    terminal: bool,
    width: int = 200,
    aux: Callable[[dict[str, Any]], None] | None = None,
    now_ns: Callable[[], int] = time.time_ns,
) -> None:
    """DisplayJSONMessagesStream over decoded messages (see the module docstring)."""
    lines: dict[str, int] = {}
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("aux") is not None:
            if aux is not None:
                aux(message)
            continue
        ident = str(message.get("id") or "")
        diff = 0
        has_progress = message.get("progressDetail") is not None or bool(message.get("progress"))
        if ident and has_progress:
            line = lines.get(ident)
            if line is None:
                line = len(lines)
                lines[ident] = line
                if terminal:
                    out.write("\n")
            diff = len(lines) - line
            if terminal and diff:
                out.write(f"\x1b[{diff}A")
        else:
            lines = {}
        try:
            display_message(message, out, terminal=terminal, width=width, now_ns=now_ns)
        finally:
            if ident and terminal and diff:
                out.write(f"\x1b[{diff}B")
            out.flush()


def terminal_of(out: TextIO) -> tuple[bool, int]:
    """(whether `out` is a terminal, its width or docker's 200 when unknown)."""
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        return False, 200
    if not os.isatty(fd):
        return False, 200
    try:
        return True, os.get_terminal_size(fd).columns or 200
    except OSError:
        return True, 200


def display_stream(
    messages: Iterable[Any],
    out: TextIO,
    *,
    aux: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """`display` with the terminal mode and width read from `out` (docker's
    DisplayJSONMessagesToStream)."""
    terminal, width = terminal_of(out)
    display(messages, out, terminal=terminal, width=width, aux=aux)


def show_response(
    response: Response,
    out: TextIO,
    *,
    aux: Callable[[dict[str, Any]], None] | None = None,
    quiet: bool = False,
) -> None:
    """`display_stream` of a daemon's message stream (pull, push, load, import); `quiet`
    reads and checks it without printing (docker's io.Discard)."""
    with response:
        messages = response.json_stream()
        if quiet:
            display(messages, _Discard(), terminal=False, aux=aux)
        else:
            display_stream(messages, out, aux=aux)


class _Discard:
    """io.Discard as a Writer."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
