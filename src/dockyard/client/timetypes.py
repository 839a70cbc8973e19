"""docker's time values for `--since` / `--until` (moby api/types/time, "timetypes").

The Go client turns them into Unix timestamps before sending (`GetTimestamp`), so the
daemon only ever sees seconds: a Go duration ("10m", "1h30m") counts back from now, an RFC
3339 date or date-time (local time without a zone) becomes "seconds.nanoseconds", and a
Unix time passes through.
"""

from __future__ import annotations

from dockyard import errdefs

_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> float | None:
    """Go's time.ParseDuration in seconds ("1h30m", "-1.5s", "0"), None when it is not one."""
    rest = text
    sign = 1.0
    if rest[:1] in ("-", "+"):
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        return None
    total = 0.0
    while rest:
        i = 0
        while i < len(rest) and (rest[i].isdigit() or rest[i] == "."):
            i += 1
        number, rest = rest[:i], rest[i:]
        if number in ("", ".") or number.count(".") > 1:
            return None
        j = 0
        while j < len(rest) and not (rest[j].isdigit() or rest[j] == "."):
            j += 1
        unit, rest = rest[:j], rest[j:]
        if unit not in _DURATION_UNITS:
            return None
        total += float(number) * _DURATION_UNITS[unit]
    return sign * total


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _parse_time(value: str, local_offset: int) -> tuple[int, int] | None:
    """(Unix seconds, nanoseconds) of docker's accepted date forms: YYYY-MM-DD, then
    optionally THH, THH:MM, THH:MM:SS(.frac), then optionally Z or ±HH:MM (else local)."""
    date, _, rest = value.partition("T")
    parts = date.split("-")
    if len(parts) < 3:
        return None
    zone = ""
    if len(parts) == 4 or (not rest and len(parts) == 3 and parts[2][2:3] in ("Z", "z", "+")):
        # a zone right after the date: "2006-01-02Z07:00" / "2006-01-02-07:00"
        if len(parts) == 4:
            parts, zone = parts[:3], "-" + parts[3]
        else:
            parts, zone = [parts[0], parts[1], parts[2][:2]], parts[2][2:]
    clock = rest
    for mark in ("Z", "z", "+", "-"):
        if mark in clock:
            at = clock.index(mark)
            clock, zone = clock[:at], clock[at:]
            break
    y, mo, d = parts
    if len(y) != 4 or len(mo) != 2 or len(d) != 2:
        return None
    fields = clock.split(":") if rest else []
    if rest and (len(fields) > 3 or not fields[0]):
        return None
    seconds, _, frac = (fields[2] if len(fields) == 3 else "00").partition(".")
    numbers = [y, mo, d, *fields[:2], seconds]
    if not all(n.isascii() and n.isdigit() for n in numbers) or not (
        frac == "" or (frac.isascii() and frac.isdigit())
    ):
        return None
    year, month, day = int(y), int(mo), int(d)
    hour = int(fields[0]) if fields else 0
    minute = int(fields[1]) if len(fields) > 1 else 0
    second = int(seconds)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None
    if zone in ("Z", "z"):
        offset = 0
    elif zone:
        hh, _, mm = zone[1:].partition(":")
        if not (hh.isdigit() and mm.isdigit() and len(hh) == 2 and len(mm) == 2):
            return None
        offset = (int(hh) * 3600 + int(mm) * 60) * (-1 if zone[0] == "-" else 1)
    else:
        offset = local_offset
    days = _days_from_civil(year, month, day)
    unix = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return unix, int((frac + "000000000")[:9])


def get_timestamp(value: str, now: float) -> str:
    """docker's timetypes.GetTimestamp for `--since`/`--until` (the Go client converts them
    before sending): a Go duration ("10m", "1h30m") is that long before `now`, as Unix
    seconds; an RFC 3339 date or date-time (local time without a zone) becomes
    "seconds.nanoseconds"; a Unix time ("1700000000", "1700000000.5") passes through."""
    if value != "0":
        duration = parse_duration(value)
        if duration is not None:
            return str(int(now - duration))
    import time

    local = time.localtime(now)
    parsed = _parse_time(value, local.tm_gmtoff)
    if parsed is not None:
        return f"{parsed[0]}.{parsed[1]:09d}"
    if "-" in value:
        raise errdefs.InvalidArgument(f'parsing time "{value}": cannot parse as RFC 3339')
    seconds, _, nanos = value.partition(".")
    if not (seconds.isascii() and seconds.isdigit()) or not (
        nanos == "" or (nanos.isascii() and nanos.isdigit())
    ):
        raise errdefs.InvalidArgument(f'failed to parse value as time or duration: "{value}"')
    return value
