"""Linux namespaces as the runtime-spec names them (config-linux.md "Namespaces")."""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.runtime import syscalls
from dockyard.runtime.config import Namespace

# spec type -> (clone flag, name under /proc/PID/ns)
KINDS: dict[str, tuple[int, str]] = {
    "user": (syscalls.CLONE_NEWUSER, "user"),
    "mount": (syscalls.CLONE_NEWNS, "mnt"),
    "pid": (syscalls.CLONE_NEWPID, "pid"),
    "network": (syscalls.CLONE_NEWNET, "net"),
    "ipc": (syscalls.CLONE_NEWIPC, "ipc"),
    "uts": (syscalls.CLONE_NEWUTS, "uts"),
    "cgroup": (syscalls.CLONE_NEWCGROUP, "cgroup"),
    "time": (syscalls.CLONE_NEWTIME, "time"),
}

# setns order: the user namespace first, so the rest are joined with its privileges; mount
# last, because after it paths (the other namespaces' files) resolve in the container.
JOIN_ORDER = ("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount")


def new_flags(namespaces: tuple[Namespace, ...], *, exclude: tuple[str, ...] = ()) -> int:
    """The unshare(2) flags for the namespaces the container gets fresh."""
    flags = 0
    for ns in namespaces:
        if not ns.path and ns.type not in exclude:
            flags |= KINDS[ns.type][0]
    return flags


def to_join(namespaces: tuple[Namespace, ...]) -> list[tuple[str, str]]:
    """(type, path) of the namespaces the container joins, in setns order."""
    by_type = {ns.type: ns.path for ns in namespaces if ns.path}
    return [(kind, by_type[kind]) for kind in JOIN_ORDER if kind in by_type]


def check_paths(namespaces: tuple[Namespace, ...]) -> None:
    """Refuse a missing namespace path before anything is made (join() refuses one of the
    wrong kind: setns checks the type we pass)."""
    for kind, path in to_join(namespaces):
        try:
            os.stat(path)
        except OSError as err:
            raise errdefs.NotFound(f"namespace {kind} path {path}: {err.strerror}") from None


def join(kind: str, path: str) -> None:
    """setns(2) into the namespace at `path`, checking it is of `kind`."""
    flag = KINDS[kind][0]
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        syscalls.setns(fd, flag)
    except OSError as err:
        raise errdefs.InvalidArgument(
            f"failed to join {kind} namespace {path}: {err.strerror}"
        ) from None
    finally:
        os.close(fd)


def container_paths(pid: int, namespaces: tuple[Namespace, ...]) -> list[tuple[str, str]]:
    """For `exec`: the running container's namespace files, in setns order."""
    kinds = {ns.type for ns in namespaces}
    return [(k, f"/proc/{pid}/ns/{KINDS[k][1]}") for k in JOIN_ORDER if k in kinds]
