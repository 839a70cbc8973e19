"""Timestamps as Go's `time.RFC3339Nano` writes and reads them, in integer nanoseconds.

Docker stamps log lines and exit times with `t.UTC().Format(time.RFC3339Nano)`: the fraction
has up to nine digits with trailing zeros removed (and no dot at all for a whole second), and
the zone is `Z`. Plain arithmetic instead of `datetime`: the shim imports this on its hot path.
"""

from __future__ import annotations

import time

from dockyard import errdefs

_NS = 1_000_000_000


def format_rfc3339nano(ns: int) -> str:
    """`2026-11-28T09:00:00.12345Z` for a Unix time in nanoseconds (UTC)."""
    secs, frac = divmod(ns, _NS)
    t = time.gmtime(secs)
    text = (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    )
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_rfc3339nano(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time (any fraction length, Z or ±hh:mm)."""
    try:
        if len(text) < 20 or text[4] != "-" or text[7] != "-" or text[10] not in "Tt":
            raise ValueError
        if text[13] != ":" or text[16] != ":":
            raise ValueError
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
        hour, minute, sec = int(text[11:13]), int(text[14:16]), int(text[17:19])
        rest = text[19:]
        frac = 0
        if rest.startswith("."):
            digits = 0
            while digits + 1 < len(rest) and rest[digits + 1].isdigit():
                digits += 1
            if digits == 0:
                raise ValueError
            frac = int(rest[1 : 1 + min(digits, 9)].ljust(9, "0"))
            rest = rest[1 + digits :]
        if rest in ("Z", "z"):
            offset = 0
        elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
            offset = (int(rest[1:3]) * 60 + int(rest[4:6])) * 60
            offset = -offset if rest[0] == "-" else offset
        else:
            raise ValueError
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and sec < 61):
            raise ValueError
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid RFC 3339 time: {text!r}") from None
    days = _days_from_civil(year, month, day)
    secs = ((days * 24 + hour) * 60 + minute) * 60 + sec - offset
    return secs * _NS + frac
