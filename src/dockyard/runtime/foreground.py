"""Waiting in the foreground for a container or exec process (`run`, `exec` without -d).

The runtime is a child subreaper here, so the process it forked through the init chain is
re-parented to it and can be waited for. Signals the runtime receives are forwarded, as runc
does, and with a terminal the runtime copies between its own stdio and the pty master.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    import signal
else:  # `signal` wraps these in enums, and enum costs ~4 ms of start-up
    import _signal as signal


FORWARDED = (
    signal.SIGHUP,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGCONT,
    signal.SIGTSTP,
)


class forwarding:
    """Forward the usual signals to `pid` while the block runs (a class, not a
    contextlib.contextmanager: contextlib costs the runtime ~3 ms of start-up)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.old: dict[int, object] = {}

    def _forward(self, signum: int, _frame: object) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def __enter__(self) -> None:
        self.old = {sig: signal.signal(sig, self._forward) for sig in FORWARDED}

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self.old.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]  # what signal() returned


def exit_code(status: int) -> int:
    """runc's convention: the exit status, or 128 + signal for a killed process."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def wait(pid: int) -> int:
    """Reap children until `pid` has exited; return its exit code."""
    while True:
        try:
            reaped, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 255  # not our child after all; nothing to report
        if reaped == pid:
            return exit_code(status)


def proxy_tty(master: int, pid: int) -> int:
    """Copy stdin -> master and master -> stdout until the pty closes; then wait for `pid`."""
    import select
    import termios
    import tty

    saved = None
    if os.isatty(0):
        saved = termios.tcgetattr(0)
        tty.setraw(0)
    try:
        inputs = [master, 0]
        while True:
            ready, _, _ = select.select(inputs, [], [], 0.2)
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""  # EIO: every slave closed
                if not data:
                    break
                os.write(1, data)
            if 0 in ready:
                data = os.read(0, 65536)
                if data:
                    os.write(master, data)
                else:
                    inputs.remove(0)
            if not ready:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return exit_code(status)
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    return wait(pid)
