"""The runtime's log: runc's `--log` / `--log-format text|json` / `--debug`.

The stdlib `logging` package costs the runtime ~10 ms to import, so this is a tiny stand-in
with the same shape containerd's shims parse from runc: one JSON object per line with `level`,
`msg` and `time` (RFC 3339). The Log object is built once in main() and passed down.
"""

from __future__ import annotations

import os
import sys
import time

from dockyard.utils import jsonfast as json


class Log:
    def __init__(self, path: str = "", fmt: str = "text", debug: bool = False) -> None:
        self.path = path
        self.fmt = fmt
        self.debug_enabled = debug
        self.started = time.monotonic()
        # Opened once, before any fork: the container's init keeps logging through this
        # descriptor after pivot_root, when the host path no longer resolves.
        self.fd = -1
        if path:
            try:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
                self.fd = os.open(path, flags, 0o644)
            except OSError as err:
                sys.stderr.write(f"failed to open log file {path}: {err.strerror}\n")

    def _write(self, level: str, msg: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.fmt == "json":
            line = json.dumps({"level": level, "msg": msg, "time": stamp})
        else:
            line = f'time="{stamp}" level={level} msg="{msg}"'
        if self.fd < 0:
            if level != "error":  # errors reach stderr through main(); avoid printing twice
                sys.stderr.write(line + "\n")
            return
        try:
            os.write(self.fd, (line + "\n").encode())
        except OSError:
            pass  # a full or vanished log must not turn into a container failure

    def error(self, msg: str) -> None:
        self._write("error", msg)

    def warning(self, msg: str) -> None:
        self._write("warning", msg)

    def debug(self, msg: str) -> None:
        if self.debug_enabled:
            self._write("debug", msg)

    def phase(self, what: str) -> None:
        """A --debug line with the milliseconds since this invocation began (start-up is a
        feature: these lines show where the time goes)."""
        if self.debug_enabled:
            self._write("debug", f"{(time.monotonic() - self.started) * 1000:.1f} ms: {what}")


class Logger:
    """A named logger with the stdlib's call shape (`log.warning("x %s", y)`), writing to the
    process's Log. Library modules (cgroups/) hold one of these; main() points them at the
    Log built from --log/--log-format with use(); until then they write to stderr."""

    _sink = Log()  # process-wide: the one Log of this runtime invocation

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def use(cls, log: Log) -> None:
        cls._sink = log

    def warning(self, fmt: str, *args: object) -> None:
        self._sink.warning(fmt % args if args else fmt)

    def debug(self, fmt: str, *args: object) -> None:
        self._sink.debug(fmt % args if args else fmt)


def get_logger(name: str) -> Logger:
    return Logger(name)
