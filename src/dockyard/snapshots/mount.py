"""Mounting a snapshot: the `Mount` list a snapshotter returns, applied to a target directory.

`mount_all` is containerd's mount.All: each Mount is `mount -t type source target -o options`,
in order, on the same target. Options that are mount(2) flags (ro, rbind, nosuid...) become
flags, the rest the filesystem's data string. Bind mounts ignore MS_RDONLY on the first call,
so a read-only bind is a bind then a read-only remount, as mount(8) does.
"""

from __future__ import annotations

import errno
import os

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.snapshots.snapshotter import Mount

# The kernel copies a mount's data string into one page (fs/namespace.c copy_mount_options):
# a longer overlay lowerdir list would be cut, so it is refused before the call.
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

_FLAGS: dict[str, tuple[int, bool]] = {  # option -> (flag, set it)
    "ro": (sc.MS_RDONLY, True),
    "rw": (sc.MS_RDONLY, False),
    "bind": (sc.MS_BIND, True),
    "rbind": (sc.MS_BIND | sc.MS_REC, True),
    "nosuid": (sc.MS_NOSUID, True),
    "suid": (sc.MS_NOSUID, False),
    "nodev": (sc.MS_NODEV, True),
    "dev": (sc.MS_NODEV, False),
    "noexec": (sc.MS_NOEXEC, True),
    "exec": (sc.MS_NOEXEC, False),
    "noatime": (sc.MS_NOATIME, True),
    "relatime": (sc.MS_RELATIME, True),
}


def parse_options(options: tuple[str, ...] | list[str]) -> tuple[int, str]:
    """mount(2) flags and the data string of `options`."""
    flags = 0
    data = []
    for option in options:
        known = _FLAGS.get(option)
        if known is None:
            data.append(option)
        elif known[1]:
            flags |= known[0]
        else:
            flags &= ~known[0]
    return flags, ",".join(data)


def mount_all(mounts: list[Mount], target: str) -> None:
    """Mount `mounts` on `target` in order; on failure, what was mounted is unmounted again."""
    done = 0
    try:
        for m in mounts:
            _mount(m, target)
            done += 1
    except BaseException:
        for _ in range(done):
            sc.umount2(target, sc.MNT_DETACH)
        raise


def unmount(target: str) -> None:
    """Unmount everything mounted on `target` (stacked mounts too); nothing mounted is fine."""
    while True:
        try:
            sc.umount2(target, sc.UMOUNT_NOFOLLOW)
        except OSError as err:
            if err.errno in (errno.EINVAL, errno.ENOENT):
                return  # not a mount point (any more)
            raise errdefs.FailedPrecondition(f"failed to unmount {target}: {err.strerror}") from err


def detach(target: str) -> None:
    """Lazily unmount `target` (MNT_DETACH): gone from the tree now, freed once unused."""
    while True:
        try:
            sc.umount2(target, sc.MNT_DETACH | sc.UMOUNT_NOFOLLOW)
        except OSError as err:
            if err.errno in (errno.EINVAL, errno.ENOENT):
                return
            raise errdefs.FailedPrecondition(f"failed to detach {target}: {err.strerror}") from err


def _mount(m: Mount, target: str) -> None:
    flags, data = parse_options(m.options)
    if len(data.encode()) >= PAGE_SIZE:
        layers = data.count(":") + 1 if "lowerdir=" in data else 0
        raise errdefs.FailedPrecondition(
            f"cannot mount {m.type} on {target}: its options are {len(data.encode())} bytes "
            f"({layers} lower layers), over the kernel's limit of one page ({PAGE_SIZE} bytes)"
        )
    try:
        if flags & sc.MS_BIND:
            sc.mount(m.source, target, None, flags & ~sc.MS_RDONLY, data or None)
            if flags & sc.MS_RDONLY:
                try:
                    sc.mount(None, target, None, flags | sc.MS_REMOUNT, None)
                except OSError:
                    sc.umount2(target, sc.MNT_DETACH)
                    raise
        else:
            sc.mount(m.source, target, m.type, flags, data or None)
    except OSError as err:
        raise errdefs.FailedPrecondition(
            f"failed to mount {m.type} {m.source} on {target}: {err.strerror}"
        ) from err
