"""Times as Docker writes and reads them: RFC 3339 with nanoseconds, and `until`/`before`.

Docker formats times with Go's `time.RFC3339Nano`: up to nine fractional digits with the
trailing zeros trimmed ("2024-09-26T21:31:42Z", "2024-09-26T21:31:42.5Z"). Python's datetime
holds microseconds only, so times here are integer nanoseconds since the epoch.

`parse_filter_time` is moby's `timestamp.Parse` (the `until` filter of ls and prune): a Go
duration before now ("24h", "1h30m"), an RFC 3339 time or date (local time when it names no
zone), or Unix seconds with an optional fraction.
"""

from __future__ import annotations

import calendar
import re
import time

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_NS = 1_000_000_000
ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's time.Time{} as JSON: "never"


def now_ns() -> int:
    return time.time_ns()


def format_ns(ns: int, offset_minutes: int = 0) -> str:
    """RFC3339Nano of a Unix time in nanoseconds, at a UTC offset ("Z" when zero)."""
    seconds, fraction = divmod(ns + offset_minutes * 60 * _NS, _NS)
    tm = time.gmtime(seconds)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
    if fraction:
        text += "." + f"{fraction:09d}".rstrip("0")
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def now_rfc3339() -> str:
    return format_ns(now_ns())


def parse_rfc3339(text: str) -> tuple[int, int]:
    """(Unix nanoseconds, UTC offset in minutes) of an RFC 3339 time; ValueError if not one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = int((match[7] or "").ljust(9, "0") or 0)
    offset = 0
    if match[9]:
        offset = int(match[10]) * 60 + int(match[11])
        offset = -offset if match[9] == "-" else offset
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return (seconds - offset * 60) * _NS + fraction, offset


def to_ns(text: str) -> int:
    """Unix nanoseconds of an RFC 3339 time; 0 for "" or a malformed time (Docker then treats
    the image as created at the epoch, as it does a config without `created`)."""
    try:
        return parse_rfc3339(text)[0] if text else 0
    except ValueError:
        return 0


def reformat(text: str) -> str:
    """A config's `created` as Docker prints it (Go parses, then formats RFC3339Nano)."""
    try:
        ns, offset = parse_rfc3339(text)
    except ValueError:
        return text
    return format_ns(ns, offset)


def unix_seconds(text: str) -> int:
    """Go's Time.Unix() of an RFC 3339 time (floor), 0 when absent: `Created` of ls/history."""
    return to_ns(text) // _NS


def parse_duration_ns(value: str) -> int:
    """Go's time.ParseDuration, in nanoseconds; ValueError when malformed."""
    text = value
    sign = 1
    if text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(f"invalid duration {value!r}")
    total = 0.0
    position = 0
    while position < len(text):
        match = _DURATION_PART.match(text, position)
        if match is None:
            raise ValueError(f"invalid duration {value!r}")
        total += float(match[1]) * _UNITS_NS[match[2]]
        position = match.end()
    return sign * int(total)


def parse_filter_time(value: str, now: int | None = None) -> int:
    """moby's timestamp.Parse for `until`: Unix nanoseconds; ValueError when malformed."""
    if not value.strip():
        raise ValueError("failed to parse value as time or duration: value is empty")
    reference = now_ns() if now is None else now
    if value != "0":
        try:
            return reference - parse_duration_ns(value)
        except ValueError:
            pass
    try:
        return parse_rfc3339(value)[0]
    except ValueError:
        pass
    local = _parse_local(value)
    if local is not None:
        return local
    return _parse_unix(value)


def _parse_local(value: str) -> int | None:
    """The zone-less layouts moby accepts, read in local time (as Go's ParseInLocation)."""
    formats = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H", "%Y-%m-%d")
    whole, _, fraction = value.partition(".")
    for layout in formats:
        try:
            parsed = time.strptime(whole, layout)
        except ValueError:
            continue
        if fraction and (layout != formats[0] or not fraction.isdigit() or len(fraction) > 9):
            return None
        return int(time.mktime(parsed)) * _NS + int(fraction.ljust(9, "0") or 0)
    return None


def _parse_unix(value: str) -> int:
    """ "seconds[.nanoseconds]" as docker logs --since accepts it."""
    seconds, _, fraction = value.partition(".")
    if not seconds.lstrip("-").isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"failed to parse value as time or duration: {value!r}")
    return int(seconds) * _NS + int(fraction[:9].ljust(9, "0") or 0)
