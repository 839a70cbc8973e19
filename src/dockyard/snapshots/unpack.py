"""Safe layer extraction: a layer tar (gzip, zstd or plain) applied to a directory.

The layer format is image-spec layer.md, as Docker writes and reads it:

- `.wh.<name>` deletes <name> of the lower layers, `.wh..wh..opq` hides everything the lower
  layers have in its directory. With `Whiteouts.OVERLAY` (the default: `dest` is an overlayfs
  upper dir) they become what overlayfs reads: a 0:0 character device named <name>, and the
  xattr trusted.overlay.opaque="y" on the directory. With `Whiteouts.REMOVE` (`dest` holds the
  lower layers' files already, a flat rootfs) they delete. Other `.wh..wh.*` names are aufs
  bookkeeping and are skipped, as Docker does.
- Files, directories, symlinks, hardlinks (to an earlier entry of the same layer), fifos, and
  devices only when `allow_devices` (default: when running as root; Docker skips them rootless).
  Mode, owner (when root), times (directories' once their children are written) and xattrs
  (PAX SCHILY.xattr.*, so security.capability file capabilities survive) are kept.

Safety, for hostile layers: nothing is ever written outside `dest`. Entry paths are cleaned as
Go's filepath.Join would (a leading "/" is dropped, `a/../b` is `b`) and one that climbs out
is refused; every parent directory is opened one component at a time with O_NOFOLLOW from a
descriptor of `dest`, so a symlink in a parent position (made by this layer or already there)
is refused rather than followed; symlinks are created as links, whatever they point at, and
never followed; hardlinks resolve their target the same way and link the target itself, never
what a symlink points to (linkat without AT_SYMLINK_FOLLOW); a name that exists is unlinked
before it is replaced. A refused entry raises errdefs.InvalidArgument naming it; the caller
(layers.unpack_layer) throws the half-written snapshot away.

The diff_id, sha256 of the uncompressed stream, is computed while extracting.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat
from collections.abc import Callable, Sequence

from dockyard import errdefs
from dockyard.snapshots import tarstream
from dockyard.snapshots.compression import ReadAhead, counting, open_layer
from dockyard.snapshots.rootdir import RootDir
from dockyard.snapshots.tarstream import Entry, Readable, TarReader
from dockyard.utils.record import record

__all__ = ["Applied", "Whiteouts", "apply_layer", "chain_ids", "clean_path", "open_layer"]

log = logging.getLogger(__name__)

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"
OPAQUE_XATTR = "trusted.overlay.opaque"

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# Failures that are the host's (space, privileges), not the layer's.
_HOST_ERRNOS = frozenset(
    (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ENOMEM)
) | frozenset((errno.EMFILE, errno.ENFILE, errno.EPERM, errno.EACCES))


class Whiteouts:
    """How whiteout entries are applied (see the module docstring)."""

    OVERLAY = "overlay"
    REMOVE = "remove"


@record(frozen=True)
class Applied:
    """What applying (or writing) a layer produced."""

    diff_id: str  # sha256 of the uncompressed tar stream, computed while extracting
    size: int  # bytes of file content written


def chain_ids(diff_ids: Sequence[str]) -> list[str]:
    """ChainIDs of a layer stack (image-spec config.md): ChainID(L0) = DiffID(L0),
    ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))."""
    out: list[str] = []
    for diff_id in diff_ids:
        if out:
            digest = hashlib.sha256(f"{out[-1]} {diff_id}".encode()).hexdigest()
            out.append(f"sha256:{digest}")
        else:
            out.append(diff_id)
    return out


def clean_path(name: str, what: str = "layer entry") -> str:
    """`name` relative to the layer root, lexically cleaned ("" for the root itself);
    InvalidArgument when it climbs out of the root."""
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise errdefs.InvalidArgument(f'{what} "{name}" escapes the layer root')
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def apply_layer(
    dest: str,
    stream: Readable,
    *,
    allow_devices: bool | None = None,
    whiteouts: str = Whiteouts.OVERLAY,
    progress: Callable[[int], None] | None = None,
) -> Applied:
    """Apply the layer blob `stream` (compressed or not; a BinaryIO or anything with
    `read(n)`) to directory `dest`. It is read to its end, from a helper thread.

    `progress`, when given, is called with the compressed bytes read so far (Docker's
    "Extracting" progress counts the blob, not its content).
    """
    if progress is not None:
        stream = counting(stream, progress)
    root = os.geteuid() == 0
    source = ReadAhead(open_layer(stream))
    try:
        applier = _Applier(
            dest,
            allow_devices=root if allow_devices is None else allow_devices,
            whiteouts=whiteouts,
            own=root,
        )
        try:
            reader = TarReader(source)
            for entry in reader:
                try:
                    applier.apply(entry, reader)
                except OSError as err:
                    kind = errdefs.FailedPrecondition if err.errno in _HOST_ERRNOS else None
                    raise (kind or errdefs.InvalidArgument)(
                        f'failed to apply layer entry "{entry.name}": {err.strerror}'
                    ) from err
            applier.finish()
        finally:
            applier.close()
        reader.drain()
    finally:
        source.close()
    return Applied(diff_id=f"sha256:{source.hexdigest()}", size=applier.size)


class _Applier:
    """Applies entries one by one; `finish` sets directory modes and times at the end."""

    def __init__(self, dest: str, *, allow_devices: bool, whiteouts: str, own: bool) -> None:
        if whiteouts not in (Whiteouts.OVERLAY, Whiteouts.REMOVE):
            raise errdefs.InvalidArgument(f"unknown whiteout mode {whiteouts!r}")
        self.root = RootDir(dest)
        self.allow_devices = allow_devices
        self.overlay = whiteouts == Whiteouts.OVERLAY
        self.own = own  # only root may give files away to other owners
        self.uid, self.gid = os.geteuid(), os.getegid()
        self.umask_and_special = _umask() | 0o7000
        self.size = 0
        # Directory modes and times, set last: writing children changes a directory's mtime,
        # and a read-only mode would stop an unprivileged extraction from writing them.
        self.dirs: dict[str, tuple[int, int, int | None]] = {}
        # Paths this layer wrote: an opaque whiteout in REMOVE mode keeps them.
        self.seen: set[str] = set()

    def close(self) -> None:
        self.root.close()

    def apply(self, e: Entry, reader: TarReader) -> None:
        self.root.trim()
        path = clean_path(e.name)
        if path.startswith(WHITEOUT_META_PREFIX) and path != OPAQUE_WHITEOUT:
            return  # aufs bookkeeping at the top (.wh..wh.plnk/...), skipped as Docker does
        parent, _, base = path.rpartition("/")
        if base.startswith(WHITEOUT_PREFIX):
            self._whiteout(e, parent, base)
            return
        if not self.overlay:
            self.seen.add(path)
        if e.type == tarstream.DIR:
            self._dir(e, path, parent, base)
            return
        if not path:
            raise errdefs.InvalidArgument(f'layer entry "{e.name}" replaces the layer root')
        pfd = self.root.dir(parent, e.name)
        if e.type == tarstream.REG:
            self._file(e, pfd, base, reader)
        elif e.type == tarstream.SYM:
            self._create(pfd, base, lambda: os.symlink(e.linkname, base, dir_fd=pfd))
            self._metadata(e, pfd, base, mode=False)
        elif e.type == tarstream.LNK:
            self._hardlink(e, path, pfd, base)
        elif e.type in (tarstream.CHR, tarstream.BLK):
            if not self.allow_devices:
                log.debug("skipping device node %r: devices are not allowed", e.name)
                return
            kind = stat.S_IFCHR if e.type == tarstream.CHR else stat.S_IFBLK
            rdev = os.makedev(e.devmajor, e.devminor)
            self._create(pfd, base, lambda: os.mknod(base, kind | 0o600, rdev, dir_fd=pfd))
            self._metadata(e, pfd, base)
        elif e.type == tarstream.FIFO:
            # fifos need no privilege, so Docker creates them rootless too
            self._create(pfd, base, lambda: os.mkfifo(base, 0o600, dir_fd=pfd))
            self._metadata(e, pfd, base)
        else:
            raise errdefs.InvalidArgument(
                f'layer entry "{e.name}" has unsupported tar type {chr(e.type)!r}'
            )

    def finish(self) -> None:
        for path, (mode, mtime_ns, atime_ns) in self.dirs.items():
            self.root.trim()
            try:
                fd = self.root.find(path, path)
            except errdefs.InvalidArgument:
                fd = None  # replaced later in the layer by a non-directory
            if fd is None:
                continue
            os.fchmod(fd, mode)
            os.utime(fd, ns=(mtime_ns if atime_ns is None else atime_ns, mtime_ns))

    # -- entry kinds ----------------------------------------------------------------------

    def _file(self, e: Entry, pfd: int, base: str, reader: TarReader) -> None:
        # Syscalls are most of the cost of a small file, so chown and chmod are skipped when
        # creation got owner and mode right already (open's mode minus the umask; our ids
        # unless the directory is setgid).
        try:
            fd = os.open(base, _FILE_FLAGS, e.mode & 0o777, dir_fd=pfd)
        except FileExistsError:
            self._remove(pfd, base)
            fd = os.open(base, _FILE_FLAGS, e.mode & 0o777, dir_fd=pfd)
        try:
            if e.size:
                self.size += reader.copy_to(fd)
            chown = self.own and (e.uid != self.uid or e.gid != self.gid or pfd in self.root.setgid)
            if chown:
                os.fchown(fd, e.uid, e.gid)
            if chown or e.mode & self.umask_and_special:
                os.fchmod(fd, e.mode)  # after chown, which clears setuid bits
            if e.xattrs:
                self._xattrs(e, fd)  # after chown, which clears security.capability
            os.utime(fd, ns=_times(e))
        finally:
            os.close(fd)

    def _dir(self, e: Entry, path: str, parent: str, base: str) -> None:
        if path:
            pfd = self.root.dir(parent, e.name)
            try:
                os.mkdir(base, 0o700, dir_fd=pfd)
            except FileExistsError:
                if not stat.S_ISDIR(os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode):
                    os.unlink(base, dir_fd=pfd)
                    os.mkdir(base, 0o700, dir_fd=pfd)
        fd = self.root.dir(path, e.name)
        if self.own:
            os.fchown(fd, e.uid, e.gid)
        if e.xattrs:
            self._xattrs(e, fd)
        self.dirs[path] = (e.mode, e.mtime_ns, e.atime_ns)

    def _hardlink(self, e: Entry, path: str, pfd: int, base: str) -> None:
        target = clean_path(e.linkname, f'layer entry "{e.name}": hardlink target')
        tparent, _, tbase = target.rpartition("/")
        tpfd = self.root.find(tparent, e.name) if target else None
        if tpfd is None or target == path:
            raise errdefs.InvalidArgument(
                f'layer entry "{e.name}": hardlink target "{e.linkname}" is not in the layer'
            )
        try:
            # follow_symlinks=False: link the target itself, even when it is a symlink
            # pointing out of the root (linkat without AT_SYMLINK_FOLLOW, as Docker's os.Link).
            self._create(
                pfd,
                base,
                lambda: os.link(
                    tbase, base, src_dir_fd=tpfd, dst_dir_fd=pfd, follow_symlinks=False
                ),
            )
        except FileNotFoundError as err:
            raise errdefs.InvalidArgument(
                f'layer entry "{e.name}": hardlink target "{e.linkname}" is not in the layer'
            ) from err
        except PermissionError as err:
            raise errdefs.InvalidArgument(
                f'layer entry "{e.name}": hardlink target "{e.linkname}" is a directory'
            ) from err

    def _whiteout(self, e: Entry, parent: str, base: str) -> None:
        pfd = self.root.dir(parent, e.name)
        if base == OPAQUE_WHITEOUT:
            if self.overlay:
                self._set_opaque(pfd, e)
            else:
                for child in os.listdir(pfd):
                    if f"{parent}/{child}".lstrip("/") not in self.seen:
                        self._remove(pfd, child)
            return
        if base.startswith(WHITEOUT_META_PREFIX):
            return  # aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs), skipped as Docker does
        name = base[len(WHITEOUT_PREFIX) :]
        if name in ("", ".", ".."):
            raise errdefs.InvalidArgument(f'layer entry "{e.name}" is not a valid whiteout')
        if not self.overlay:
            self._remove(pfd, name, missing_ok=True)
            return
        try:
            self._create(pfd, name, lambda: os.mknod(name, stat.S_IFCHR, 0, dir_fd=pfd))
        except PermissionError as err:
            raise errdefs.FailedPrecondition(
                f'layer entry "{e.name}": an overlay whiteout is a 0:0 device node, which '
                "needs CAP_MKNOD before Linux 5.8 (or apply with Whiteouts.REMOVE)"
            ) from err
        if self.own:
            os.chown(name, e.uid, e.gid, dir_fd=pfd, follow_symlinks=False)

    @staticmethod
    def _set_opaque(fd: int, e: Entry) -> None:
        try:
            os.setxattr(fd, OPAQUE_XATTR, b"y")
        except PermissionError as err:
            raise errdefs.FailedPrecondition(
                f'layer entry "{e.name}": an overlay opaque directory needs the trusted.* '
                "xattr namespace (CAP_SYS_ADMIN)"
            ) from err

    # -- helpers --------------------------------------------------------------------------

    def _create(self, pfd: int, name: str, make: Callable[[], None]) -> None:
        """`make()` the entry; an existing one is unlinked first (never followed)."""
        try:
            make()
        except FileExistsError:
            self._remove(pfd, name)
            make()

    def _remove(self, pfd: int, name: str, *, missing_ok: bool = False) -> None:
        try:
            st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            if missing_ok:
                return
            raise
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(name, dir_fd=pfd)  # fd-based: never follows symlinks inside
            self.root.forget_removed()
        else:
            os.unlink(name, dir_fd=pfd)

    def _metadata(self, e: Entry, pfd: int, name: str, *, mode: bool = True) -> None:
        if self.own:
            os.chown(name, e.uid, e.gid, dir_fd=pfd, follow_symlinks=False)
        if mode:  # never for symlinks: Linux has no lchmod; this name is one we just made
            os.chmod(name, e.mode, dir_fd=pfd)
        if e.xattrs:
            # /proc/self/fd/N is exactly the parent directory; the last component is not followed
            self._xattrs(e, f"/proc/self/fd/{pfd}/{name}")
        os.utime(name, ns=_times(e), dir_fd=pfd, follow_symlinks=False)

    @staticmethod
    def _xattrs(e: Entry, target: int | str) -> None:
        for key, value in e.xattrs.items():
            if key.startswith(("trusted.overlay.", "user.overlay.")):
                # overlayfs metadata (redirects, opaque, origin) is ours to write, never a layer's
                log.warning("ignoring xattr %s of layer entry %r", key, e.name)
                continue
            try:
                if isinstance(target, int):
                    os.setxattr(target, key, value)
                else:
                    os.setxattr(target, key, value, follow_symlinks=False)
            except OSError as err:
                if err.errno not in (errno.ENOTSUP, errno.EPERM):
                    raise
                # As Docker: not every filesystem or privilege level takes every namespace.
                log.warning("failed to set xattr %s on %r: %s", key, e.name, err.strerror)


def _umask() -> int:
    """The process umask, read without setting it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o777  # unknown: never trust the create mode, always chmod


def _times(e: Entry) -> tuple[int, int]:
    return (e.mtime_ns if e.atime_ns is None else e.atime_ns, e.mtime_ns)
