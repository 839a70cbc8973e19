"""`docker logs`: a container's log read back through its log driver, as Docker's wire bytes.

moby's daemon/logs.go and httputils.WriteLogStream: at least one of stdout/stderr must be
asked for; the `none` driver cannot be read (501 "configured logging driver does not support
reading"); `since`/`until` are Unix seconds with an optional fraction (the docker CLI turns
durations and RFC 3339 times into that before sending; we accept those forms too, relative
to now, as the CLI's GetTimestamp does); `tail` is a line count, anything unparsable meaning
all; timestamps are prefixed in RFC3339NanoFixed (always nine fraction digits, UTC) with one
space; without a TTY each message is a stdcopy frame. `follow` keeps polling the log file
while the container runs and ends once it stopped and the log is drained, or `until` passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.state import Status
from dockyard.containers.streams import STDERR, STDOUT, wire
from dockyard.images import timefmt
from dockyard.shim.logs import LogEntry, open_reader

POLL_INTERVAL = 0.2  # seconds between looks at a followed log file
_NS = 1_000_000_000


def parse_time(value: str, *, name: str, now_ns: int | None = None) -> int:
    """`since`/`until` in Unix nanoseconds; 0 for "" (no bound). Unix seconds with a
    fraction as moby's ParseTimestamps reads them ("1.5" is 1.5 s), else a Go duration before
    now or an RFC 3339 time; InvalidArgument otherwise."""
    if not value:
        return 0
    try:
        return timefmt.parse_filter_time(value, now_ns)
    except ValueError as err:
        raise errdefs.InvalidArgument(f'invalid value for "{name}": {err}') from err


def parse_tail(tail: str) -> int:
    """moby: strconv.Atoi(tail), anything else (and "all", and negatives) meaning all (-1)."""
    try:
        n = int(tail.strip())
    except ValueError:
        return -1
    return n if n >= 0 else -1


def format_timestamp(time_ns: int) -> str:
    """jsonmessage.RFC3339NanoFixed in UTC: 2026-11-28T09:00:00.123456789Z."""
    seconds, fraction = divmod(time_ns, _NS)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def render(
    entries: list[LogEntry], *, stdout: bool, stderr: bool, timestamps: bool, tty: bool
) -> bytes:
    """The wire bytes of `entries`: the asked-for streams, each message its own frame."""
    out = bytearray()
    for entry in entries:
        if entry.stream == "stdout":
            if not stdout:
                continue
            stream = STDOUT
        elif entry.stream == "stderr":
            if not stderr:
                continue
            stream = STDERR
        else:
            continue
        data = entry.data
        if timestamps:
            data = format_timestamp(entry.time_ns).encode() + b" " + data
        out += wire(stream, data, tty=tty)
    return bytes(out)


async def logs(
    container: Container,
    *,
    follow: bool,
    stdout: bool,
    stderr: bool,
    since: str,
    until: str,
    timestamps: bool,
    tail: str,
    running: Callable[[], bool],
    poll_interval: float = POLL_INTERVAL,
) -> AsyncIterator[bytes]:
    """GET /containers/{id}/logs as wire bytes. An async generator: the checks (and their
    errors) run at the first iteration, before anything is yielded."""
    if not (stdout or stderr):
        raise errdefs.InvalidArgument("You must choose at least one stream")
    if container.state.status in (Status.REMOVING, Status.DEAD):
        raise errdefs.Conflict(
            "can not get logs from container which is dead or marked for removal"
        )
    driver = (container.host_config.get("LogConfig") or {}).get("Type") or "json-file"
    if driver == "none":
        raise errdefs.Unimplemented("configured logging driver does not support reading")
    since_ns = parse_time(since, name="since")
    until_ns = 0 if until in ("", "0") else parse_time(until, name="until")
    reader = open_reader(driver, container.log_path)
    tail_n = parse_tail(tail)
    tty = container.tty

    def wire_bytes(entries: list[LogEntry]) -> bytes:
        return render(entries, stdout=stdout, stderr=stderr, timestamps=timestamps, tty=tty)

    # Sampled before the read: output written after this look is polled for below.
    alive = follow and running()
    entries, cursor = await asyncio.to_thread(
        reader.read, since_ns=since_ns, until_ns=until_ns, tail=tail_n
    )
    if data := wire_bytes(entries):
        yield data
    while alive:
        if until_ns and time.time_ns() > until_ns:
            return
        await asyncio.sleep(poll_interval)
        still_running = running()
        entries, cursor = await asyncio.to_thread(reader.poll, cursor)
        # Stopped and nothing new: the shim drained PID 1's output before the exit.
        done = not still_running and not entries
        kept = [e for e in entries if e.time_ns >= since_ns]
        if until_ns:
            done = done or any(e.time_ns > until_ns for e in kept)
            kept = [e for e in kept if e.time_ns <= until_ns]
        if data := wire_bytes(kept):
            yield data
        alive = not done
