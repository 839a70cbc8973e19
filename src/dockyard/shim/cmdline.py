"""Rewrite the process's command line in place, so a shim forked by the spawner shows in `ps`
as `.../dockyard-shim --id <cid> --dir <dir>`, like a shim started as a program.

The kernel reads /proc/<pid>/cmdline from the argument area of the process's own memory
(arg_start..arg_end in /proc/self/stat). The daemon starts the spawner with a blank argument
to make that area large enough; a shim writes its arguments there through /proc/self/mem,
NUL-padded, keeping the interpreter and program words the spawner was started with.
"""

from __future__ import annotations

import os


def set_cmdline(args: list[str]) -> bool:
    """Replace every argument after the program's path; False if it does not fit."""
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    # fields[0] is the state (field 3): arg_start and arg_end are fields 48 and 49
    start, end = int(fields[45]), int(fields[46])
    with open("/proc/self/cmdline", "rb") as f:
        words = f.read().split(b"\0")
    new = b"\0".join([*words[:2], *(a.encode() for a in args)]) + b"\0"
    if len(new) > end - start:
        return False
    fd = os.open("/proc/self/mem", os.O_RDWR)
    try:
        os.pwrite(fd, new.ljust(end - start, b"\0"), start)
    finally:
        os.close(fd)
    return True
