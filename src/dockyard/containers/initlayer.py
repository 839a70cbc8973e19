"""The init layer: what every container's rootfs needs before the runtime mounts over it.

Docker puts a read-only `<id>-init` layer between the image and the container's rw layer,
holding empty mount targets (/etc/hosts, /etc/resolv.conf, /dev/shm, ...). Without it the
runtime would create those targets in the rw layer, and `docker diff` and `docker commit`
would show and keep them.
"""

from __future__ import annotations

import os

# moby daemon/initlayer: (path, is directory)
_ENTRIES = (
    ("dev", True),
    ("dev/pts", True),
    ("dev/shm", True),
    ("proc", True),
    ("sys", True),
    ("etc", True),
    (".dockerenv", False),
    ("etc/resolv.conf", False),
    ("etc/hosts", False),
    ("etc/hostname", False),
    ("dev/console", False),
    ("etc/mtab", False),
)


def populate(upper: str) -> None:
    """Write the placeholders into an empty layer directory (the upper dir of `<id>-init`).

    Directories made here shadow the image's with the same mode as overlay copies up;
    an image that has them keeps its own (overlay merges directories).
    """
    for path, is_dir in _ENTRIES:
        target = os.path.join(upper, path)
        if is_dir:
            os.makedirs(target, mode=0o755, exist_ok=True)
        elif path == "etc/mtab":
            os.symlink("/proc/mounts", target)
        else:
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            with open(target, "w"):
                pass
            os.chmod(target, 0o755 if path == ".dockerenv" else 0o644)
