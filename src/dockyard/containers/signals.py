"""Signal names as Docker parses them: moby/sys/signal ParseSignal with the Linux table.

A number, or a name with or without the SIG prefix, or RTMIN+n / RTMAX-n; anything else is
"Invalid signal: <name>".
"""

from __future__ import annotations

from dockyard import errdefs

_SIGNALS = {
    "ABRT": 6, "ALRM": 14, "BUS": 7, "CHLD": 17, "CLD": 17, "CONT": 18, "FPE": 8, "HUP": 1,
    "ILL": 4, "INT": 2, "IO": 29, "IOT": 6, "KILL": 9, "PIPE": 13, "POLL": 29, "PROF": 27,
    "PWR": 30, "QUIT": 3, "SEGV": 11, "STKFLT": 16, "STOP": 19, "SYS": 31, "TERM": 15,
    "TRAP": 5, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "USR1": 10, "USR2": 12,
    "VTALRM": 26, "WINCH": 28, "XCPU": 24, "XFSZ": 25,
}  # fmt: skip


def signal_number(name: str) -> int:
    """moby signal.ParseSignal: a number, or a name with or without SIG, RTMIN+n/RTMAX-n."""
    if name.isdigit():
        number = int(name)
        if number == 0:
            raise errdefs.InvalidArgument(f"Invalid signal: {name}")
        return number
    short = name.upper().removeprefix("SIG")
    if short in _SIGNALS:
        return _SIGNALS[short]
    for base, sign, number in (("RTMIN", 1, 34), ("RTMAX", -1, 64)):
        if short == base:
            return number
        if short.startswith(base + ("+" if sign > 0 else "-")):
            offset = short[len(base) + 1 :]
            if offset.isdigit() and 1 <= int(offset) <= 15:
                return number + sign * int(offset)
    raise errdefs.InvalidArgument(f"Invalid signal: {name}")
