"""Sizes, durations and times as docker prints and reads them (github.com/docker/go-units,
Go's time package).

`human_size(1984385, 3)` -> "1.98MB" (decimal units, `%.*g`), `bytes_size` -> "1.5MiB",
`ram_in_bytes("1g")` / `from_human_size("1GB")` parse, `human_duration(seconds)` ->
"About a minute"; `parse_duration("1m30s")` / `format_duration(90.0)` are Go's
time.ParseDuration and Duration.String; `parse_rfc3339` reads the daemon's timestamps and
`go_time_string` is Go's Time.String() in local time.
"""

from __future__ import annotations

import time

from dockyard import errdefs

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
_DECIMAL_MAP = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY_MAP = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


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


def from_human_size(text: str) -> int:
    """go-units FromHumanSize: "1GB" -> 1000000000 (decimal)."""
    return _parse_size(text, _DECIMAL_MAP)


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: "1g", "512m", "1GiB" -> bytes (binary), as --memory reads it."""
    return _parse_size(text, _BINARY_MAP)


def _parse_size(text: str, units: dict[str, int]) -> int:
    sep = max(text.rfind(ch) for ch in "0123456789. ")
    if sep < 0:
        raise errdefs.InvalidArgument(f"invalid size: '{text}'")
    if text[sep] == " ":
        num, suffix = text[:sep], text[sep + 1 :]
    else:
        num, suffix = text[: sep + 1], text[sep + 1 :]
    try:
        if num != num.strip() or "_" in num:  # Python's float() is laxer than ParseFloat
            raise ValueError(num)
        size = float(num)
    except ValueError:
        raise errdefs.InvalidArgument(
            f'strconv.ParseFloat: parsing "{num}": invalid syntax'
        ) from None
    if size < 0:
        raise errdefs.InvalidArgument(f"invalid size: '{text}'")
    if not suffix:
        return int(size)
    low = suffix.lower()
    bad = errdefs.InvalidArgument(f"invalid suffix: '{low if len(suffix) <= 3 else suffix}'")
    if len(suffix) > 3:
        raise bad
    if low[0] == "b":
        if len(low) > 1:
            raise bad
        return int(size)
    if low[0] not in units:
        raise bad
    if (len(low) == 2 and low[1] != "b") or (len(low) == 3 and low[1:] != "ib"):
        raise bad
    return int(size * units[low[0]])


def human_duration(seconds: float) -> str:
    """go-units HumanDuration ("Less than a second" ... "2 years")."""
    secs = int(seconds)
    if secs < 1:
        return "Less than a second"
    if secs == 1:
        return "1 second"
    if secs < 60:
        return f"{secs} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def since(created: float, now: float | None = None) -> str:
    """docker's "7 minutes ago" (RunningFor, CreatedSince)."""
    return human_duration((time.time() if now is None else now) - created) + " ago"


# --- Go durations ---------------------------------------------------------------------

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5
    "μs": 1e-6,  # U+03BC
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> float:
    """time.ParseDuration: "1m30s", "1.5h", "-300ms", "0" -> seconds."""
    orig = text
    neg = text[:1] == "-"
    if text[:1] in "+-":
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise errdefs.InvalidArgument(f'time: invalid duration "{orig}"')
    total = 0.0
    while text:
        i = 0
        while i < len(text) and (text[i].isdigit() or text[i] == "."):
            i += 1
        number = text[:i]
        if not number or number == "." or number.count(".") > 1:
            raise errdefs.InvalidArgument(f'time: invalid duration "{orig}"')
        text = text[i:]
        j = 0
        while j < len(text) and not (text[j].isdigit() or text[j] == "."):
            j += 1
        unit = text[:j]
        text = text[j:]
        if not unit:
            raise errdefs.InvalidArgument(f'time: missing unit in duration "{orig}"')
        if unit not in _DURATION_UNITS:
            raise errdefs.InvalidArgument(f'time: unknown unit "{unit}" in duration "{orig}"')
        total += float(number) * _DURATION_UNITS[unit]
    return -total if neg else total


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
