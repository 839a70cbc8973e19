"""Pumping a hijacked attach/exec stream: stdin -> the daemon, the daemon -> stdout/stderr.

docker's hijackedIOStreamer, with threads: one copies the output (raw with a TTY, else the
8-byte multiplexed frames split to stdout and stderr), one copies stdin and half-closes the
connection at its end (so `echo hi | run -i busybox cat` ends), watching for the detach
keys when the local terminal is raw (the daemon watches too: it is given the same keys).
The main thread waits in `Streamer.wait`, running `poll` callbacks (SIGWINCH resizes,
forwarded signals) between waits, so no API call ever runs inside a signal handler.
"""

from __future__ import annotations

import os
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO, TextIO

    from dockyard.client.transport import Hijacked

DEFAULT_DETACH_KEYS = b"\x10\x11"  # ctrl-p, ctrl-q

_CTRL = {"ctrl-@": 0, "ctrl-[": 27, "ctrl-\\": 28, "ctrl-]": 29, "ctrl-^": 30, "ctrl-_": 31}
_CTRL.update({f"ctrl-{chr(ord('a') + i)}": i + 1 for i in range(26)})


def detach_key_bytes(keys: str) -> bytes:
    """moby/term's ToBytes: "ctrl-p,ctrl-q" -> b"\\x10\\x11"; single characters as is."""
    codes = bytearray()
    for key in keys.split(","):
        if len(key) == 1:
            codes.append(ord(key) & 0xFF)
            continue
        code = _CTRL.get(key.lower())
        if code is None:
            raise ValueError(f"Unknown character: '{key}'")
        codes.append(code)
    return bytes(codes)


class EscapeMatcher:
    """moby/term's escape proxy over any read sizes: bytes that start the detach sequence
    are held back until the sequence completes (detach) or breaks (they are passed on)."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.pos = 0

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """(bytes to send, whether the sequence is complete)."""
        if not self.keys:
            return data, False
        out = bytearray()
        for byte in data:
            if byte == self.keys[self.pos]:
                self.pos += 1
                if self.pos == len(self.keys):
                    self.pos = 0
                    return bytes(out), True
                continue
            if self.pos:
                out += self.keys[: self.pos]
                self.pos = 0
                if byte == self.keys[0]:
                    self.pos = 1
                    continue
            out.append(byte)
        return bytes(out), False


def binary(stream: TextIO | BinaryIO | None) -> BinaryIO | None:
    """The byte stream under a text stream (sys.stdout.buffer), or the stream itself."""
    if stream is None:
        return None
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else stream  # type: ignore[return-value]


def _write(out: BinaryIO | None, data: bytes) -> None:
    if out is None or not data:
        return
    out.write(data)
    out.flush()


def _reader(stdin: BinaryIO) -> Callable[[], bytes]:
    try:
        fd = stdin.fileno()
    except (OSError, ValueError, AttributeError):
        read1 = getattr(stdin, "read1", None)
        if read1 is not None:
            return lambda: bytes(read1(32768))
        return lambda: bytes(stdin.read(32768))
    return lambda: os.read(fd, 32768)


class Streamer:
    """One hijacked stream's pumps; `wait()` answers when docker's `stream()` would return."""

    def __init__(
        self,
        conn: Hijacked,
        *,
        stdin: BinaryIO | None,
        stdout: BinaryIO | None,
        stderr: BinaryIO | None,
        tty: bool,
        detach_keys: str = "",
        err: TextIO | None = None,
    ) -> None:
        self.conn = conn
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        self.detached = False
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._raw: object = None
        self._restore_lock = threading.Lock()
        self._keys = DEFAULT_DETACH_KEYS
        if detach_keys:
            try:
                self._keys = detach_key_bytes(detach_keys)
            except ValueError as exc:
                if err is not None:  # docker: logrus.Warnf, then the default keys
                    err.write(f"invalid detach escape keys, using default: {exc}\n")

    # -- setup ----------------------------------------------------------------------------

    def start(self) -> None:
        """docker's setupInput (raw mode when stdin is attached with a TTY), then the pumps."""
        if self.stdin is not None and self.tty:
            from dockyard.cli.tty import RawMode, is_terminal

            try:
                fd = self.stdin.fileno()
            except (OSError, ValueError, AttributeError):
                fd = -1
            if fd >= 0 and is_terminal(fd):
                self._raw = RawMode(fd)
        self._has_output = self.stdout is not None or self.stderr is not None
        if self._has_output:
            threading.Thread(target=self._output, name="hijack-output", daemon=True).start()
        threading.Thread(target=self._input, name="hijack-input", daemon=True).start()

    def restore(self) -> None:
        """Give the terminal back (idempotent; called on every way out)."""
        with self._restore_lock:
            raw, self._raw = self._raw, None
        if raw is not None:
            from dockyard.cli.tty import RawMode

            assert isinstance(raw, RawMode)
            raw.restore()

    # -- the pumps ------------------------------------------------------------------------

    def _output(self) -> None:
        try:
            if self.tty:
                out = self.stdout if self.stdout is not None else self.stderr
                while data := self.conn.recv(32768):
                    _write(out, data)
                self.restore()
            else:
                from dockyard.client.streams import demux

                for stream, data in demux(self.conn.read):
                    _write(self.stderr if stream == 2 else self.stdout, data)
        except (OSError, ValueError) as exc:
            self.error = exc
        except Exception as exc:
            self.error = exc
        finally:
            self._done.set()

    def _input(self) -> None:
        if self.stdin is not None:
            read = _reader(self.stdin)
            matcher = EscapeMatcher(self._keys if self._raw is not None else b"")
            try:
                while data := read():
                    data, detach = matcher.feed(data)
                    if data:
                        self.conn.sendall(data)
                    if detach:
                        self.restore()
                        self.detached = True
                        self._done.set()
                        return
            except OSError:
                pass  # docker: "Error sendStdin" at debug level; the output decides the end
            self.restore()
        self.conn.close_write()
        if not self._has_output:
            self._done.set()

    # -- waiting --------------------------------------------------------------------------

    def wait(self, poll: Callable[[], None] | None = None, timeout: float | None = None) -> bool:
        """Block until the stream is over (output ended, or detached); run `poll` about every
        100 ms meanwhile. False when `timeout` passed first."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done.wait(0.1):
            if poll is not None:
                poll()
            if deadline is not None and time.monotonic() >= deadline:
                return False
        if poll is not None:
            poll()
        return True

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def close(self) -> None:
        self.restore()
        self.conn.close()


# -- signals ------------------------------------------------------------------------------

# Go's signal.Notify(c) with no signals catches all of them; these are the ones docker's
# ForwardAllSignals then skips or that a process cannot catch.
_NOT_FORWARDED = frozenset({"SIGKILL", "SIGSTOP", "SIGCHLD", "SIGPIPE", "SIGURG"})
_SYNCHRONOUS = frozenset({"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP"})


class SignalProxy:
    """docker's sig-proxy: every signal the CLI receives is sent to the container
    (POST /containers/{id}/kill?signal=INT). Handlers only queue; `poll()` sends."""

    def __init__(self, kill: Callable[[str], None], *, skip_winch: bool = False) -> None:
        import signal

        self._kill = kill
        self._pending: list[int] = []
        self._previous: dict[int, object] = {}
        for sig in signal.Signals:
            name = sig.name
            if name in _NOT_FORWARDED or name in _SYNCHRONOUS:
                continue
            if skip_winch and name == "SIGWINCH":
                continue
            try:
                self._previous[sig] = signal.signal(sig, self._on_signal)
            except (OSError, ValueError):
                continue

    def _on_signal(self, signum: int, frame: object) -> None:
        self._pending.append(signum)

    def poll(self) -> None:
        import signal

        while self._pending:
            signum = self._pending.pop(0)
            try:
                self._kill(signal.Signals(signum).name.removeprefix("SIG"))
            except Exception:
                pass

    def stop(self) -> None:
        import signal

        for sig, previous in self._previous.items():
            try:
                signal.signal(sig, previous)  # type: ignore[arg-type]
            except (OSError, ValueError, TypeError):
                pass
        self._previous.clear()
