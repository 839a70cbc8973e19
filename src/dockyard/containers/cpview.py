"""docker cp's view of a container: its rootfs with its volumes, bind mounts and /etc network
files mounted where the container has them (moby daemon/containerfs_linux.go openContainerFS).

Docker 28 does not mount anything in the daemon's own mount namespace for `docker cp`: it
starts one OS thread, unshares the mount namespace there, makes "/" a recursive slave (nothing
mounted in it propagates back to the host or into a container), bind-mounts each volume and
bind onto the rootfs at its destination (read-only ones read-only, all of them rprivate) and
runs every file operation of the copy on that thread. When the thread ends, the namespace and
every mount in it go with it: nothing can be left mounted, whatever happens to the client,
and a running container's own mount namespace is never touched. tmpfs mounts are not in the
view (moby setupMounts skips them): a cp at a tmpfs path sees the rootfs underneath, as in
Docker.

    view = ContainerView(rootfs, view_mounts(c, sources))
    view.start()                                   # blocking: the mounts are made, or it raises
    doc = await view.run(archive.stat, rootfs, "/data/file")
    view.close()                                   # waits for what runs, then the thread ends

Unlike moby we do not pivot into the rootfs: the archive code walks the rootfs through
descriptors (fsview), and a thread whose "/" were the container's would import Python modules
from the container's filesystem.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import errno
import functools
import logging
import os
import platform
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from dockyard import errdefs
from dockyard.containers import mounts
from dockyard.containers.container import Container
from dockyard.containers.fsview import FSView, go_error
from dockyard.runtime import syscalls as sc
from dockyard.utils.record import record

log = logging.getLogger(__name__)

__all__ = ["ContainerView", "ViewMount", "mount_modes", "view_mounts"]

P = ParamSpec("P")
T = TypeVar("T")

_O_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
_SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}
_AT_EMPTY_PATH = 0x1000
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY = 0x1


@record(frozen=True)
class ViewMount:
    """One mount of the view: a host path bound at a destination inside the container."""

    source: str
    destination: str
    writable: bool
    recursive: bool = True


def view_mounts(c: Container, volume_sources: Mapping[str, str]) -> list[ViewMount]:
    """What moby setupMounts hands openContainerFS: the container's volumes (at the host paths
    in `volume_sources`, by name) and binds, parents first, then the /etc network files no
    user mount covers. tmpfs mounts are left out, as Docker leaves them out."""
    hc = c.host_config
    parsed = {mp.destination: mp for mp in mounts.mount_points(hc)}
    out: list[ViewMount] = []
    for doc in c.mounts:
        dest, kind = doc["Destination"], doc.get("Type")
        if kind == "volume":
            source = volume_sources.get(doc.get("Name") or "")
            if source:
                out.append(ViewMount(source=source, destination=dest, writable=bool(doc["RW"])))
        elif kind == "bind" and doc.get("Source"):
            mp = parsed.get(dest)
            if mp is not None and mp.type == "bind" and mp.from_binds:
                os.makedirs(mp.source, mode=0o755, exist_ok=True)  # as the start does for -v
            out.append(
                ViewMount(
                    source=doc["Source"],
                    destination=dest,
                    writable=bool(doc.get("RW")),
                    recursive=not (mp is not None and mp.non_recursive),
                )
            )
    out.sort(key=lambda m: mounts.depth(m.destination))
    taken = {m.destination for m in out} | set(hc.get("Tmpfs") or {})
    taken |= {d["Destination"] for d in c.mounts}
    writable = not hc.get("ReadonlyRootfs")
    for dest, source in (
        ("/etc/resolv.conf", c.resolv_conf_path),
        ("/etc/hostname", c.hostname_path),
        ("/etc/hosts", c.hosts_path),
    ):
        if dest not in taken and os.path.isfile(source):
            out.append(ViewMount(source=source, destination=dest, writable=writable))
    return out


def mount_modes(c: Container) -> list[tuple[str, bool]]:
    """(destination, RW) of the container's MountPoints: what moby checkWritablePath reads
    (tmpfs mounts of HostConfig.Mounts included, HostConfig.Tmpfs not)."""
    return [(d["Destination"], bool(d.get("RW"))) for d in c.mounts if d.get("Destination")]


class ContainerView:
    """A thread in a private mount namespace where the container's mounts are on its rootfs;
    every call given to `run` or `call` runs on that thread, one at a time, in order."""

    def __init__(self, rootfs: str, binds: Sequence[ViewMount]) -> None:
        self.rootfs = rootfs
        self._binds = list(binds)
        self._todo: queue.SimpleQueue[
            tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None
        ]
        self._todo = queue.SimpleQueue()
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._main, name="cp-view", daemon=True)
        self._mounted: list[int] = []  # O_PATH descriptors of our mounts' roots
        self._closed = False

    def start(self) -> None:
        """Start the thread and wait until the mounts are made; their error is raised here
        (and the thread is gone)."""
        self._thread.start()
        try:
            self._ready.result()
        except BaseException:
            self.close()
            raise

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        if self._closed:
            raise errdefs.FailedPrecondition("the container's filesystem view is closed")
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._todo.put((fn, fut))
        return fut

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the view's thread and wait for it (from any other thread)."""
        return self.submit(functools.partial(fn, *args, **kwargs)).result()

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.wrap_future(self.submit(functools.partial(fn, *args, **kwargs)))

    def close(self) -> None:
        """Wait for what was submitted, then end the thread (the namespace and its mounts go
        with it). Idempotent; blocking."""
        if not self._closed:
            self._closed = True
            self._todo.put(None)
        if self._thread.is_alive():
            self._thread.join()

    # -- the view's thread ----------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._setup()
        except BaseException as err:  # handed to start()
            self._teardown()
            self._ready.set_exception(err)
            return
        self._ready.set_result(None)
        while True:
            item = self._todo.get()
            if item is None:
                break
            fn, fut = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as err:  # handed to the caller
                fut.set_exception(err)
        self._teardown()

    def _setup(self) -> None:
        # CLONE_NEWNS implies CLONE_FS: only this thread leaves the daemon's namespace.
        sc.unshare(sc.CLONE_NEWNS)
        # A slave: mounts made here never propagate to the host (nor, through it, into a
        # container), while an unmount on the host still reaches our copy.
        sc.mount(None, "/", None, sc.MS_REC | sc.MS_SLAVE, None)
        if not self._binds:
            return
        tree = FSView(self.rootfs)
        try:
            for m in self._binds:
                try:
                    self._mounted.append(_bind(tree, m))
                except OSError as err:
                    raise errdefs.Unknown(
                        f"failed to mount {m.source} at {m.destination}: {go_error(err)}"
                    ) from err
        finally:
            tree.close()

    def _teardown(self) -> None:
        """Unmount what we mounted, children first (the namespace's end would do it too)."""
        while self._mounted:
            fd = self._mounted.pop()
            try:
                sc.umount2(f"/proc/self/fd/{fd}", sc.MNT_DETACH)
            except OSError as err:
                log.debug("failed to unmount a cp view mount: %s", err)
            finally:
                os.close(fd)


def _bind(tree: FSView, m: ViewMount) -> int:
    """Bind `m.source` at its destination inside the rootfs (created like moby's
    createIfNotExists, never through a symlink out of the root); returns an O_PATH descriptor
    of the new mount's root. The mount is made on a descriptor of the target, not on a path
    a running container could swap for a symlink (moby GHSA-vp62-88p7-qqf5), and checked to
    be the source before it is made read-only and private."""
    is_dir = os.path.isdir(m.source)
    src = os.stat(m.source)
    parts = tree.resolve(m.destination, follow_last=True)
    if not parts:
        raise OSError(errno.EINVAL, "mount destination resolves to the container's root")
    parent = tree.open_dir(parts[:-1], create=True)
    try:
        try:
            if is_dir:
                os.mkdir(parts[-1], 0o755, dir_fd=parent)
            else:
                flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
                os.close(os.open(parts[-1], flags, 0o755, dir_fd=parent))
        except FileExistsError:
            pass
        target = os.open(parts[-1], _O_PATH, dir_fd=parent)
        try:
            flags = sc.MS_BIND | (sc.MS_REC if m.recursive else 0)
            sc.mount(m.source, f"/proc/self/fd/{target}", None, flags, None)
        finally:
            os.close(target)
        root = os.open(parts[-1], _O_PATH, dir_fd=parent)  # crosses into the new mount
    finally:
        os.close(parent)
    try:
        st = os.fstat(root)
        if (st.st_dev, st.st_ino) != (src.st_dev, src.st_ino):
            raise OSError(errno.EXDEV, "the mount target changed while it was mounted")
        _make_private(root, read_only=not m.writable, recursive=m.recursive)
    except BaseException:
        sc.umount2(f"/proc/self/fd/{root}", sc.MNT_DETACH)
        os.close(root)
        raise
    return root


class _MountAttr(ctypes.Structure):
    """struct mount_attr (linux/mount.h)."""

    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _make_private(fd: int, *, read_only: bool, recursive: bool) -> None:
    """rprivate, and read-only (recursively, as Docker's makeMountRRO) when asked: one
    mount_setattr(2) on the mount's descriptor; a remount through /proc on older kernels."""
    attr = _MountAttr(
        attr_set=_MOUNT_ATTR_RDONLY if read_only else 0, attr_clr=0, propagation=sc.MS_PRIVATE
    )
    nr = _SYS_MOUNT_SETATTR.get(platform.machine())
    flags = _AT_EMPTY_PATH | (_AT_RECURSIVE if recursive else 0)
    err = errno.ENOSYS
    if nr is not None:
        libc = _libc()
        err = (
            0
            if libc.syscall(nr, fd, b"", flags, ctypes.byref(attr), 32) == 0
            else ctypes.get_errno()
        )
    if err == errno.ENOSYS:
        path = f"/proc/self/fd/{fd}"
        sc.mount(None, path, None, sc.MS_PRIVATE | (sc.MS_REC if recursive else 0), None)
        if read_only:
            sc.mount(None, path, None, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY, None)
    elif err:
        raise OSError(err, f"mount_setattr: {os.strerror(err)}")
    if read_only and not os.fstatvfs(fd).f_flag & os.ST_RDONLY:
        raise OSError(errno.EROFS, "the mount could not be made read-only")


@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc
