"""The shim's event loop: epoll over descriptors, a few timers, and child exits.

Single-threaded and synchronous (no asyncio: its import alone would triple the shim's memory).
SIGCHLD reaches the loop through the interpreter's wakeup fd; every exit is reaped here with
waitpid(-1), so nothing the shim inherits as subreaper stays a zombie. An exit nobody watches
yet (an exec that died before its pid file was read) is kept until someone asks for it.
"""

from __future__ import annotations

import os
import select
import time

TYPE_CHECKING = False  # true for mypy; typing costs start-up time and memory at run time
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable
    from typing import Any
else:  # `signal` wraps its constants in enums, and enum is heavy
    import _signal as signal

IN = select.EPOLLIN
OUT = select.EPOLLOUT
HUP = select.EPOLLHUP | select.EPOLLERR
_UNCLAIMED_MAX = 1024  # exits of processes nobody watches (host-pid orphans): keep a few


def _ignore(signum: int, frame: Any) -> None:
    """SIGCHLD's Python handler: the C-level handler has already written the wakeup fd."""


class Timer:
    __slots__ = ("deadline", "fn")

    def __init__(self, deadline: float, fn: Callable[[], None] | None) -> None:
        self.deadline = deadline
        self.fn = fn

    def cancel(self) -> None:
        self.fn = None


class Loop:
    def __init__(self, *, on_error: Callable[[str], None]) -> None:
        self._ep = select.epoll()
        self._handlers: dict[int, Callable[[int], None]] = {}
        self._timers: list[Timer] = []
        self._children: dict[int, Callable[[int], None]] = {}
        self._unclaimed: dict[int, int] = {}
        self._on_error = on_error
        self.running = True
        rfd, wfd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._wakeup = rfd
        signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, _ignore)
        self.add(rfd, IN, self._on_sigchld)

    # descriptors -------------------------------------------------------------------------

    def add(self, fd: int, mask: int, handler: Callable[[int], None]) -> None:
        self._handlers[fd] = handler
        self._ep.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        if fd in self._handlers:
            self._ep.modify(fd, mask)

    def remove(self, fd: int) -> None:
        if self._handlers.pop(fd, None) is not None:
            try:
                self._ep.unregister(fd)
            except OSError:
                pass

    # timers ------------------------------------------------------------------------------

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        timer = Timer(time.monotonic() + delay, fn)
        self._timers.append(timer)
        return timer

    def _run_timers(self) -> float:
        """Run the due timers; the seconds until the next one (-1: none)."""
        now = time.monotonic()
        due = [t for t in self._timers if t.deadline <= now or t.fn is None]
        if due:
            self._timers = [t for t in self._timers if t not in due]
            for t in due:
                if t.fn is not None:
                    self._call(t.fn)
        if not self._timers:
            return -1
        return max(0.0, min(t.deadline for t in self._timers) - time.monotonic())

    # children ----------------------------------------------------------------------------

    def watch(self, pid: int, on_exit: Callable[[int], None], *, spawned: bool = False) -> None:
        """Call on_exit(wait status) once `pid` has been reaped (soon, if it already was).

        `spawned`: we started `pid` ourselves just now, so it cannot have been reaped yet; an
        unclaimed exit under that number is an older process's (pid reuse) and is dropped.
        """
        if spawned:
            self._unclaimed.pop(pid, None)
        if pid in self._unclaimed:
            status = self._unclaimed.pop(pid)
            self.call_later(0, lambda: on_exit(status))
        else:
            self._children[pid] = on_exit

    def _on_sigchld(self, events: int) -> None:
        try:
            while os.read(self._wakeup, 4096):
                pass
        except BlockingIOError:
            pass
        self.reap()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            on_exit = self._children.pop(pid, None)
            if on_exit is not None:
                self._call(on_exit, status)
                continue
            if len(self._unclaimed) >= _UNCLAIMED_MAX:
                self._unclaimed.pop(next(iter(self._unclaimed)))
            self._unclaimed[pid] = status

    # running -----------------------------------------------------------------------------

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # the loop is the shim's process boundary: log and carry on
            import traceback

            self._on_error(traceback.format_exc())

    def run(self) -> None:
        while self.running:
            timeout = self._run_timers()
            if not self.running:
                break
            for fd, events in self._ep.poll(timeout):
                handler = self._handlers.get(fd)
                if handler is not None:
                    self._call(handler, events)

    def stop(self) -> None:
        self.running = False
