"""The OCI "cgroup" mount: the container's view of /sys/fs/cgroup.

Runs in the container's mount namespace before pivot_root, on a destination directory that
already exists inside the rootfs. Mirrors runc's rootfs_linux.go:

- v1 (mountCgroupV1): a tmpfs (mode=755, nosuid,nodev,noexec) at dest; in it one directory
  per v1 hierarchy, named as on the host ("cpu,cpuacct", "memory", "systemd"), holding either a
  bind of the container's own cgroup directory or, with a cgroup namespace, a fresh
  `mount -t cgroup -o <controllers>` whose root is the namespace's root (the container's
  cgroup); then symlinks for co-mounted controllers ("cpu" -> "cpu,cpuacct"). The hybrid
  cgroup2 hierarchy is not shown to the container, as runc does not show it. Like runc, the
  tmpfs itself stays read-write (the hierarchies in it get the mount's flags).
- v2 (mountCgroupV2): with a cgroup namespace a fresh cgroup2 mount, falling back to a bind
  when the kernel refuses (EPERM/EBUSY, as runc); without one, a bind of the container's own
  cgroup directory (runc mounts the whole host tree there; we show the container its own
  subtree, as on v1).

`flags` are the OCI mount's options as MS_* bits: per-mount ones (ro, nosuid, nodev, noexec,
atime) are applied to every mount made here, propagation ones (rprivate, rslave...) once at
the end on dest, recursively; MS_BIND / MS_REC / MS_REMOUNT are ignored (how to mount is ours).

The managers import this module only from their mount(), so the ctypes behind syscalls is not
loaded by commands that never mount.
"""

from __future__ import annotations

import errno
import os

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    MountFn = Callable[[str | None, str, str | None, int, str | None], None]


_DEFAULT = sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC  # runc's defaultMountFlags
_PER_MOUNT = (
    sc.MS_RDONLY
    | _DEFAULT
    | sc.MS_SYNCHRONOUS
    | sc.MS_DIRSYNC
    | sc.MS_NOSYMFOLLOW
    | sc.MS_NOATIME
    | sc.MS_NODIRATIME
    | sc.MS_RELATIME
    | sc.MS_STRICTATIME
    | sc.MS_LAZYTIME
)
_PROPAGATION = sc.MS_UNBINDABLE | sc.MS_PRIVATE | sc.MS_SLAVE | sc.MS_SHARED
_IGNORED = sc.MS_BIND | sc.MS_REC | sc.MS_REMOUNT | sc.MS_SILENT

"""mount(2) as dockyard.runtime.syscalls.mount has it: (source, target, fstype, flags, data)."""


@record(frozen=True)
class V1Bind:
    """One v1 hierarchy to show: its directory name, mount options, the container's cgroup."""

    name: str
    controllers: tuple[str, ...]
    source_dir: str


def mount_v1(
    dest: str,
    hierarchies: Sequence[V1Bind],
    *,
    flags: int,
    cgroupns: bool,
    sys_mount: MountFn | None = None,
) -> None:
    """Make the v1 cgroup mount at `dest` (see the module docstring)."""
    do = _Mounter(sys_mount)
    per_mount, propagation = _split(flags)
    do("tmpfs", dest, "tmpfs", _DEFAULT, "mode=755")
    for h in hierarchies:
        target = os.path.join(dest, h.name)
        _mkdir(target)
        if cgroupns:
            # Named hierarchies need their name= option; the source is only a label.
            source = h.controllers[0][5:] if h.controllers[0].startswith("name=") else "cgroup"
            do(source, target, "cgroup", _DEFAULT | per_mount, ",".join(h.controllers))
        else:
            do(h.source_dir, target, None, sc.MS_BIND | sc.MS_REC, None)
            do(None, target, None, sc.MS_BIND | sc.MS_REMOUNT | _DEFAULT | per_mount, None)
        if "," in h.name:
            for alias in h.name.split(","):
                _symlink(h.name, os.path.join(dest, alias))
    if propagation:
        do(None, dest, None, propagation | sc.MS_REC, None)


def mount_v2(
    dest: str,
    source_dir: str,
    *,
    flags: int,
    cgroupns: bool,
    sys_mount: MountFn | None = None,
) -> None:
    """Make the v2 cgroup mount at `dest` (see the module docstring)."""
    do = _Mounter(sys_mount)
    per_mount, propagation = _split(flags)
    mounted = False
    if cgroupns:
        try:
            do("cgroup2", dest, "cgroup2", _DEFAULT | per_mount, None)
            mounted = True
        except errdefs.FailedPrecondition as err:
            cause = err.__cause__
            if not isinstance(cause, OSError) or cause.errno not in (errno.EPERM, errno.EBUSY):
                raise
    if not mounted:
        do(source_dir, dest, None, sc.MS_BIND | sc.MS_REC, None)
        do(None, dest, None, sc.MS_BIND | sc.MS_REMOUNT | _DEFAULT | per_mount, None)
    if propagation:
        do(None, dest, None, propagation | sc.MS_REC, None)


def _split(flags: int) -> tuple[int, int]:
    unknown = flags & ~(_PER_MOUNT | _PROPAGATION | _IGNORED)
    if unknown:
        raise errdefs.InvalidArgument(f"invalid flags {flags:#x} for the cgroup mount")
    return flags & _PER_MOUNT, flags & _PROPAGATION


class _Mounter:
    """mount(2) with failures as FailedPrecondition naming what and where."""

    def __init__(self, sys_mount: MountFn | None) -> None:
        self._mount = sc.mount if sys_mount is None else sys_mount

    def __call__(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None:
        try:
            self._mount(source, target, fstype, flags, data)
        except OSError as err:
            what = fstype or ("remount" if flags & sc.MS_REMOUNT else f"bind of {source}")
            if fstype and data:
                what = f"{fstype} ({data})"
            raise errdefs.FailedPrecondition(
                f"failed to mount {what} on {target}: {os.strerror(err.errno or 0)}"
            ) from err


def _mkdir(path: str) -> None:
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        pass
    except OSError as err:
        raise errdefs.FailedPrecondition(f"failed to create {path}: {err.strerror}") from err


def _symlink(target: str, path: str) -> None:
    try:
        os.symlink(target, path)
    except FileExistsError:
        pass
    except OSError as err:
        raise errdefs.FailedPrecondition(
            f"failed to link {path} to {target}: {err.strerror}"
        ) from err
