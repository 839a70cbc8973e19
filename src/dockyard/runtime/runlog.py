"""The runtime's log: runc's `--log` / `--log-format text|json` / `--debug`.

The stdlib `logging` package costs the runtime ~10 ms to import, so this is a tiny stand-in
with the same shape containerd's shims parse from runc: one JSON object per line with `level`,
`msg` and `time` (RFC 3339). The Log object is built once in main() and passed down.
"""

from __future__ import annotations

import json
import os
import sys
import time


class Log:
    def __init__(self, path: str = "", fmt: str = "text", debug: bool = False) -> None:
        self.path = path
        self.fmt = fmt
        self.debug_enabled = debug
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
