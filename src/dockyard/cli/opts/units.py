"""Numbers with units, as docker's flags read them: go-units RAMInBytes and FromHumanSize,
NanoCPUs, Go durations.

Each parser raises ValueError with the Go library's own text, which the flag error repeats.
"""

from __future__ import annotations

_DECIMAL = {"k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}
_BINARY = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes: "64m", "1.5GiB", "512 kb", "100" -> bytes (binary multiples)."""
    return _parse_size(text, _BINARY)


def from_human_size(text: str) -> int:
    """go-units FromHumanSize: "1GB" -> 1000000000 (decimal multiples)."""
    return _parse_size(text, _DECIMAL)


def _parse_size(text: str, multiples: dict[str, int]) -> int:
    """go-units parseSize: a number, an optional space, an optional k/m/g/t/p[b|ib] suffix."""
    sep = max(text.rfind(c) for c in "01234567890. ")
    if sep == -1:
        raise ValueError(f"invalid size: '{text}'")
    if text[sep] != " ":
        num, sfx = text[: sep + 1], text[sep + 1 :]
    else:
        num, sfx = text[:sep], text[sep + 1 :]
    try:
        if num.strip() != num or "_" in num:  # Python's float() is laxer than ParseFloat
            raise ValueError(num)
        size = float(num)
    except ValueError:
        raise ValueError(f'strconv.ParseFloat: parsing "{num}": invalid syntax') from None
    if size < 0:
        raise ValueError(f"invalid size: '{text}'")
    if not sfx:
        return int(size)
    if len(sfx) > 3:  # go-units names a too long suffix before lower-casing it
        raise ValueError(f"invalid suffix: '{sfx}'")
    low = sfx.lower()
    good = low == "b" or (low[0] in multiples and (len(low) == 1 or low[1:] in ("b", "ib")))
    if not good:
        raise ValueError(f"invalid suffix: '{low}'")
    if low == "b":
        return int(size)
    return int(size * multiples[low[0]])


def mem_swap_bytes(text: str) -> int:
    """docker's MemSwapBytes: "-1" is unlimited swap, anything else RAMInBytes."""
    return -1 if text == "-1" else ram_in_bytes(text)


def nano_cpus(text: str) -> int:
    """docker's ParseCPUs: a rational number of CPUs ("1.5", "3/2") -> NanoCPUs."""
    from fractions import Fraction  # only for --cpus: fractions imports decimal

    try:
        cpus = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"failed to parse {text} as a rational number") from None
    nano = cpus * 1_000_000_000
    if nano.denominator != 1:
        raise ValueError("value is too precise")
    return int(nano)


_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def duration_ns(text: str) -> int:
    """Go's time.ParseDuration ("1m30s", "1.5h", "300ms", "0") in nanoseconds."""
    quoted = '"' + text + '"'
    negative = text[:1] == "-"
    rest = text[1:] if text[:1] in "+-" else text
    if rest == "0":
        return 0
    if not rest:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    i = 0
    while i < len(rest):
        start = i
        while i < len(rest) and (rest[i].isdigit() or rest[i] == "."):
            i += 1
        number = rest[start:i]
        if not number or number == "." or number.count(".") > 1:
            raise ValueError(f"time: invalid duration {quoted}")
        unit_start = i
        while i < len(rest) and not (rest[i].isdigit() or rest[i] == "."):
            i += 1
        unit = rest[unit_start:i]
        if not unit:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in _UNIT_NS:
            raise ValueError(f'time: unknown unit "{unit}" in duration {quoted}')
        if "." in number:
            whole, frac = number.split(".")
            total += int(whole or "0") * _UNIT_NS[unit]
            if frac:
                total += int(frac) * _UNIT_NS[unit] / 10 ** len(frac)
        else:
            total += int(number) * _UNIT_NS[unit]
    if total > (1 << 63) - 1:
        raise ValueError(f"time: invalid duration {quoted}")
    return -int(total) if negative else int(total)
