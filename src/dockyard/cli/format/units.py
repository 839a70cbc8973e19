"""Sizes, durations and times as docker prints and reads them (github.com/docker/go-units,
Go's time package).

`human_size(1984385, 3)` -> "1.98MB" (decimal units, `%.*g`), `bytes_size` -> "1.5MiB",
`human_duration(seconds)` -> "About a minute"; `format_duration(90.0)` is Go's
Duration.String; `parse_rfc3339` reads the daemon's timestamps and `go_time_string` is Go's
Time.String() in local time. (Parsing what flags give, "1g", "1m30s": `cli/opts/units.py`.)
"""

from __future__ import annotations

import time

from dockyard import errdefs
from dockyard.utils.humantime import human_duration as human_duration  # re-exported: one copy

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _size_and_unit(size: float, base: float, units: tuple[str, ...]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return size, units[i]


def _g(value: float, precision: int) -> str:
    """Go's %.{precision}g (Python's agrees: trailing zeros dropped, e+XX exponents)."""
    return f"{value:.{precision}g}"


def human_size(size: float, precision: int = 4) -> str:
    """go-units HumanSizeWithPrecision: 1984385 -> "1.98MB" (precision 3), "0B"."""
    value, unit = _size_and_unit(float(size), 1000.0, _DECIMAL)
    return _g(value, precision) + unit


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, 4 significant digits ("1.5MiB")."""
    value, unit = _size_and_unit(float(size), 1024.0, _BINARY)
    return _g(value, 4) + unit


def since(created: float, now: float | None = None) -> str:
    """docker's "7 minutes ago" (RunningFor, CreatedSince)."""
    return human_duration((time.time() if now is None else now) - created) + " ago"


# --- Go durations ---------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """time.Duration.String: "1h0m0s", "1m30s", "1.5s", "300ms", "0s"."""
    nanos = round(seconds * 1e9)
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + _decimal(nanos, size) + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _decimal(rest, 1_000_000_000) + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


# --- times ----------------------------------------------------------------------------


def parse_rfc3339(text: str) -> float:
    """A daemon timestamp ("2025-01-01T10:00:00.123456789Z", "+02:00" offsets) -> epoch
    seconds; the zero time "0001-01-01T00:00:00Z" -> a large negative number."""
    import calendar

    date, _, clock = text.partition("T")
    offset = 0
    if clock.endswith("Z"):
        clock = clock[:-1]
    elif len(clock) > 6 and clock[-6] in "+-":
        sign = -1 if clock[-6] == "-" else 1
        offset = sign * (int(clock[-5:-3]) * 3600 + int(clock[-2:]) * 60)
        clock = clock[:-6]
    hms, _, frac = clock.partition(".")
    try:
        year, month, day = (int(p) for p in date.split("-"))
        hour, minute, second = (int(p) for p in hms.split(":"))
    except ValueError:
        raise errdefs.InvalidArgument(f'parsing time "{text}": invalid RFC 3339 time') from None
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return seconds - offset + (float("0." + frac) if frac else 0.0)


def go_time_string(epoch: float) -> str:
    """Go's time.Unix(epoch, 0).String() in local time: "2025-01-01 10:00:00 +0100 CET"."""
    tm = time.localtime(epoch)
    return time.strftime("%Y-%m-%d %H:%M:%S %z ", tm) + (tm.tm_zone or "")


def go_time_string_rfc(text: str) -> str:
    """Go's Time.String() of a daemon timestamp as parsed (its own zone):
    "2025-01-01T10:00:00.5Z" -> "2025-01-01 10:00:00.5 +0000 UTC"."""
    if not text:
        return "0001-01-01 00:00:00 +0000 UTC"
    date, _, clock = text.partition("T")
    zone = "+0000 UTC"
    if clock.endswith("Z"):
        clock = clock[:-1]
    elif len(clock) > 6 and clock[-6] in "+-":
        offset = clock[-6:].replace(":", "")
        zone = f"{offset} {offset}"
        clock = clock[:-6]
    hms, _, frac = clock.partition(".")
    frac = frac.rstrip("0")
    return f"{date} {hms}{'.' + frac if frac else ''} {zone}"
