"""dockyardd's log lines on stderr, in dockerd's (logrus text) shape:

time="2026-11-28T09:00:00.123456789Z" level=info msg="API listen on /run/dockyard.sock"
"""

from __future__ import annotations

import logging
import time

from dockyard.images.timefmt import format_ns

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
}
_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}


class LogfmtFormatter(logging.Formatter):
    """time="..." level=... msg="..." [error="..."] like logrus' text formatter."""

    def format(self, record: logging.LogRecord) -> str:
        ns = int(record.created * 1e9)
        line = (
            f'time="{format_ns(ns, time.localtime(record.created).tm_gmtoff // 60)}"'
            f" level={_NAMES.get(record.levelno, record.levelname.lower())}"
            f" msg={_quote(record.getMessage())}"
        )
        if record.levelno <= logging.DEBUG:
            line += f" module={record.name}"
        if record.exc_info:
            line += f" error={_quote(self.formatException(record.exc_info))}"
        return line


def setup(*, debug: bool, level: str) -> None:
    """Log to stderr at `level` ("debug" when debug is on)."""
    handler = logging.StreamHandler()
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(debug=debug, level=level)


def set_level(*, debug: bool, level: str) -> None:
    logging.getLogger().setLevel(logging.DEBUG if debug else LEVELS.get(level, logging.INFO))
    # aiohttp's access log is per request: only worth reading while debugging.
    logging.getLogger("aiohttp.access").setLevel(logging.DEBUG if debug else logging.WARNING)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
