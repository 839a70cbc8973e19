"""Sandboxes: the network namespaces the daemon makes for containers (CNM's sandbox).

A sandbox is a new network namespace kept alive by a bind mount of its nsfs file at
<exec-root>/netns/<container id>; the OCI spec joins it by that path, so the runtime never
makes one for a networked container, and the namespace (with its interfaces) survives the
daemon: live restore finds it by its path. Namespaces are per thread in Linux: each step
here runs in a thread of its own (or moves the calling worker thread and moves it back
before returning), never in the event loop's thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
import threading
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def create(path: str) -> None:
    """A new network namespace bound at `path`, loopback up (what runc would do)."""
    os.makedirs(os.path.dirname(path), mode=0o711, exist_ok=True)
    failure: list[BaseException] = []

    def run() -> None:
        # A throwaway thread: after unshare it lives in the new namespace until it ends.
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare")
            with open(path, "w"):
                pass
            src = f"/proc/self/task/{threading.get_native_id()}/ns/net".encode()
            _check(_libc.mount(src, path.encode(), None, MS_BIND, None), "bind mount netns")
            _lo_up()
        except BaseException as err:  # handed to the caller's thread
            failure.append(err)

    t = threading.Thread(target=run, name="netns-create")
    t.start()
    t.join()
    if failure:
        with contextlib.suppress(OSError):
            remove(path)
        raise failure[0]


def _lo_up() -> None:
    """Bring lo up in the calling thread's namespace (SIOCSIFFLAGS, no netlink needed)."""
    import fcntl
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s.fileno(), siocgifflags, req))[1]
        fcntl.ioctl(s.fileno(), siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def remove(path: str) -> None:
    """Unmount and unlink a sandbox; the namespace goes once nothing else holds it."""
    r = _libc.umount2(path.encode(), MNT_DETACH)
    if r != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
        _check(r, "unmount netns")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def exists(path: str) -> bool:
    """True when `path` is a live namespace bind mount (not a leftover empty file)."""
    try:
        return os.stat(path).st_ino != os.stat(os.path.dirname(path)).st_ino and _is_nsfs(path)
    except OSError:
        return False


def _is_nsfs(path: str) -> bool:
    nsfs_magic = 0x6E736673
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        buf = ctypes.create_string_buffer(120)
        if _libc.fstatfs(fd, buf) != 0:
            return False
        return int.from_bytes(buf.raw[:8], "little") == nsfs_magic
    finally:
        os.close(fd)


@contextlib.contextmanager
def entered(path: str) -> Iterator[None]:
    """Run the body with the calling thread in the namespace at `path` (a worker thread:
    never the loop's), and move it back after."""
    own = os.open(f"/proc/self/task/{threading.get_native_id()}/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        _check(_libc.setns(target, CLONE_NEWNET), "setns")
        try:
            yield
        finally:
            _check(_libc.setns(own, CLONE_NEWNET), "setns back")
    finally:
        os.close(target)
        os.close(own)


def socket_in(path: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    """A socket created inside the namespace at `path` (it stays bound to it)."""
    with entered(path):
        return socket.socket(family, kind, proto)
