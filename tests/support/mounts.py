"""Reading /proc/self/mountinfo, and unmounting what a benchmark left under its temp dir."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, kw_only=True)
class Mount:
    """One line of mountinfo (proc(5)): where, what filesystem, and its super options."""

    mountpoint: str
    fstype: str
    super_options: tuple[str, ...]


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes (\040 ...).
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def mountinfo() -> list[Mount]:
    """The mounts of this process's mount namespace, in mount order."""
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        # Optional fields end at a lone "-"; fstype, source and super options follow it.
        sep = fields.index("-")
        mounts.append(
            Mount(
                mountpoint=_unescape(fields[4]),
                fstype=fields[sep + 1],
                super_options=tuple(fields[sep + 3].split(",")) if len(fields) > sep + 3 else (),
            )
        )
    return mounts


def unmount_under(path: Path) -> list[str]:
    """Lazily unmount everything mounted at or below `path`, deepest first; return them.

    Run before removing a temp dir: rmtree descends into mount points, and a runtime that
    went wrong may have left a bind mount of something precious there.
    """
    prefix = str(path.resolve())
    found = [
        m.mountpoint
        for m in mountinfo()
        if m.mountpoint == prefix or m.mountpoint.startswith(prefix + "/")
    ]
    # Deepest first; reversed mount order breaks ties (a path mounted over twice).
    ordered = sorted(reversed(found), key=lambda p: p.count("/"), reverse=True)
    for mountpoint in ordered:
        subprocess.run(["umount", "-l", mountpoint], check=False, capture_output=True)
    return ordered
