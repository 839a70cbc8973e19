"""The processes a shim supervises: the container's init and its execs.

Lifecycle of a Process: stdio attached (pipes, or a pty master) -> pid known (watched) ->
exit reaped (exit code as Docker reports it: a signal N is 128+N) -> output drained (EOF on
every reader, or DRAIN_TIMEOUT after the exit if something in the container still holds the
pipes) -> done: subscribers get the exit frame, and whoever waits is answered.
The init also copies its output to the log driver, split into lines as Docker's copier does.
"""

from __future__ import annotations

import os
import time

from dockyard.shim import protocol
from dockyard.shim.logs.splitter import LineSplitter
from dockyard.shim.logs.timefmt import format_rfc3339nano
from dockyard.shim.stdio import Reader, Writer

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol

    from dockyard.shim.logs import LogWriter
    from dockyard.shim.loop import Loop, Timer

    class Subscriber(Protocol):
        """An attached client (a connection in stream mode)."""

        def send_output(self, stream: int, data: bytes) -> None: ...

        def send_exit(self, status: dict[str, Any]) -> None: ...


DRAIN_TIMEOUT = 2.0
_NAMES = {protocol.STDOUT: "stdout", protocol.STDERR: "stderr"}


def exit_code(status: int) -> int:
    """A wait status as Docker's exit code: the exit status, or 128 + the killing signal."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


class Process:
    """One supervised process and its stdio (see the module docstring for the lifecycle)."""

    def __init__(self, loop: Loop, *, tty: bool) -> None:
        self.loop = loop
        self.tty = tty
        self.pid = 0
        self.readers: list[Reader] = []
        self.stdin: Writer | None = None
        self.master = -1  # the pty master (owned by its Reader), for resize
        self.subscribers: list[Subscriber] = []
        self.exit_code: int | None = None  # known once reaped
        self.exited_at = ""
        self.done = False  # reaped and drained
        self.on_done: list[Callable[[], None]] = []
        self._drain_timer: Timer | None = None

    # stdio -------------------------------------------------------------------------------

    def attach_pipes(self, stdout: int, stderr: int) -> None:
        for stream, fd in ((protocol.STDOUT, stdout), (protocol.STDERR, stderr)):
            self._add_reader(stream, fd)

    def attach_master(self, master: int, *, stdin: bool) -> None:
        self.master = master
        if stdin:
            self.stdin = Writer(self.loop, os.dup(master), eot=True)
        self._add_reader(protocol.STDOUT, master)

    def attach_stdin(self, fd: int) -> None:
        self.stdin = Writer(self.loop, fd)

    def _add_reader(self, stream: int, fd: int) -> None:
        self.readers.append(
            Reader(
                self.loop,
                fd,
                on_data=lambda data: self.output(stream, data),
                on_eof=self._reader_closed,
            )
        )

    def output(self, stream: int, data: bytes) -> None:
        for sub in self.subscribers:
            sub.send_output(stream, data)

    def _reader_closed(self) -> None:
        if self.master >= 0 and all(r.fd < 0 for r in self.readers):
            self.master = -1
        if self.exit_code is not None and all(r.fd < 0 for r in self.readers):
            self._finish()

    # exit --------------------------------------------------------------------------------

    def exited(self, status: int) -> None:
        """The loop reaped this process."""
        self.exit_code = exit_code(status)
        self.exited_at = format_rfc3339nano(time.time_ns())
        for reader in self.readers:
            reader.drain()
        if all(r.fd < 0 for r in self.readers):
            self._finish()
        else:
            self._drain_timer = self.loop.call_later(DRAIN_TIMEOUT, self._finish)

    def _finish(self) -> None:
        if self.done:
            return
        self.done = True
        if self._drain_timer is not None:
            self._drain_timer.cancel()
        for reader in self.readers:
            reader.drain()
            reader.close()
        self.master = -1
        if self.stdin is not None:
            self.stdin.abandon()
        self.finished()
        status = self.exit_status()
        subscribers, self.subscribers = self.subscribers, []
        for sub in subscribers:
            sub.send_exit(status)
        callbacks, self.on_done = self.on_done, []
        for fn in callbacks:
            fn()

    def finished(self) -> None:
        """Hook for subclasses: runs once output is drained, before anyone is told."""

    def exit_status(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code or 0, "exited_at": self.exited_at, "oom_killed": False}

    def kill_stdio(self) -> None:
        """Close everything now (the shim is going away)."""
        for reader in self.readers:
            reader.close()
        if self.stdin is not None:
            self.stdin.abandon()


class Init(Process):
    """The container's PID 1: its output also goes to the log driver."""

    def __init__(
        self, loop: Loop, *, tty: bool, log: LogWriter, on_log_error: Callable[[str], None]
    ) -> None:
        super().__init__(loop, tty=tty)
        self.log = log
        self._on_log_error = on_log_error
        self._log_failed = False
        self._splitters = {protocol.STDOUT: LineSplitter(), protocol.STDERR: LineSplitter()}
        self.oom_file = ""  # the memory cgroup's oom_kill counter, found at create
        self.oom_before = 0
        self.oom_killed = False

    def output(self, stream: int, data: bytes) -> None:
        self._log(stream, self._splitters[stream].feed(data, time.time_ns()))
        super().output(stream, data)

    def _log(self, stream: int, messages: list[tuple[bytes, int]]) -> None:
        name = _NAMES[stream]
        for data, ts in messages:
            try:
                self.log.write(name, data, ts)
            except OSError as err:
                if not self._log_failed:  # once: a full disk would otherwise flood shim.log
                    self._on_log_error(f"failed to write the container log: {err}")
                    self._log_failed = True

    def finished(self) -> None:
        now = time.time_ns()
        for stream, splitter in self._splitters.items():
            self._log(stream, splitter.flush(now))
        self.log.close()
        if self.oom_file:
            self.oom_killed = oom_kills(self.oom_file) > self.oom_before

    def exit_status(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code or 0,
            "exited_at": self.exited_at,
            "oom_killed": self.oom_killed,
        }


class Exec(Process):
    """A process started with `runtime exec`; its output goes only to its own client."""

    def __init__(self, loop: Loop, *, exec_id: str, tty: bool) -> None:
        super().__init__(loop, tty=tty)
        self.exec_id = exec_id
        self.files: list[str] = []  # process.json, pid file, console socket: removed when done


# OOM: the memory cgroup's counter ------------------------------------------------------------


def oom_counter_file(pid: int) -> str:
    """The file whose `oom_kill N` line counts OOM kills in `pid`'s memory cgroup: v1's
    memory.oom_control or v2's memory.events ("" when there is none)."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    v2 = ""
    for line in lines:
        _num, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return f"/sys/fs/cgroup/memory{path}/memory.oom_control"
        if controllers == "":
            v2 = f"/sys/fs/cgroup{path}/memory.events"
    return v2 if v2 and os.path.exists(v2) else ""


def oom_kills(path: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0
