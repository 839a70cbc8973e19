"""The local terminal for `run -t`, `start -a`, `attach` and `exec -t`: raw mode, its size,
and SIGWINCH -> resize of the container's (or exec's) TTY.

termios is imported only here and only when a terminal is in play (DESIGN.md §4).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def fd_of(stream: object) -> int:
    """The file descriptor under a stream, -1 when it has none (StringIO in tests)."""
    try:
        return int(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return -1


def is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except (OSError, ValueError):
        return False


def size(fd: int) -> tuple[int, int]:
    """(height, width) of the terminal on `fd`, (0, 0) when it is none (docker's GetTtySize)."""
    if not is_terminal(fd):
        return 0, 0
    try:
        columns, lines = os.get_terminal_size(fd)
    except OSError:
        return 0, 0
    return lines, columns


class RawMode:
    """The terminal on `fd` in raw mode until `restore()` (idempotent), as moby/term's
    MakeRaw: no echo, no line editing, no signals from ^C/^Z (they go to the container as
    bytes), no output post-processing (the container's pty already made CRLF)."""

    def __init__(self, fd: int) -> None:
        import termios

        self._fd = fd
        self._saved: list[Any] | None = termios.tcgetattr(fd)
        mode = termios.tcgetattr(fd)
        iflag, oflag, cflag, lflag = 0, 1, 2, 3
        mode[iflag] &= ~(
            termios.IGNBRK
            | termios.BRKINT
            | termios.PARMRK
            | termios.ISTRIP
            | termios.INLCR
            | termios.IGNCR
            | termios.ICRNL
            | termios.IXON
        )
        mode[oflag] &= ~termios.OPOST
        mode[lflag] &= ~(
            termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN
        )
        mode[cflag] &= ~(termios.CSIZE | termios.PARENB)
        mode[cflag] |= termios.CS8
        cc = mode[6]
        cc[termios.VMIN] = 1
        cc[termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, mode)

    def restore(self) -> None:
        saved, self._saved = self._saved, None
        if saved is None:
            return
        import termios

        try:
            termios.tcsetattr(self._fd, termios.TCSANOW, saved)
        except termios.error:
            pass  # the terminal went away (tmux pane closed)


def resize_to(resize: Callable[[int, int], None], height: int, width: int) -> bool:
    """One resize call (docker's resizeTtyTo): nothing for a 0x0 size; False when refused."""
    if height == 0 and width == 0:
        return True
    try:
        resize(height, width)
    except Exception:
        return False
    return True


def init_size(
    resize: Callable[[int, int], None], fd: int, err_write: Callable[[str], object]
) -> None:
    """docker's initTtySize: resize now; when the daemon refuses (the process is not up
    yet), retry in the background 10 times with a growing pause, then give up with a line."""
    height, width = size(fd)
    if resize_to(resize, height, width):
        return
    import threading
    import time

    def retry() -> None:
        for attempt in range(10):
            time.sleep((attempt + 1) * 0.01)
            h, w = size(fd)
            if resize_to(resize, h, w):
                return
        err_write("failed to resize tty, using default size\n")

    threading.Thread(target=retry, daemon=True).start()


class SizeMonitor:
    """docker's MonitorTtySize: the initial resize, then one resize per SIGWINCH.

    The signal handler only records the signal; `poll()` (called by the waiting main
    thread) sends the resize, so the API client is never entered from a signal handler."""

    def __init__(
        self, resize: Callable[[int, int], None], fd: int, err_write: Callable[[str], object]
    ) -> None:
        import signal

        self._resize = resize
        self._fd = fd
        self._pending = False
        init_size(resize, fd, err_write)
        self._previous = signal.signal(signal.SIGWINCH, self._on_winch)

    def _on_winch(self, signum: int, frame: object) -> None:
        self._pending = True

    def poll(self) -> None:
        if self._pending:
            self._pending = False
            height, width = size(self._fd)
            resize_to(self._resize, height, width)

    def stop(self) -> None:
        import signal

        signal.signal(signal.SIGWINCH, self._previous)
