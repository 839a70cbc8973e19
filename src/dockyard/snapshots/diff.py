"""Layer tars from directories: a snapshot's changes (commit, build) or a whole tree (import).

`write_diff` turns an overlay upper dir into a layer (image-spec layer.md), the reverse of
`unpack.apply_layer`: a 0:0 character device (overlayfs's whiteout) becomes a `.wh.<name>`
entry, a directory with trusted.overlay.opaque="y" (or user.overlay.opaque, for overlays
mounted with userxattr) is followed by `.wh..wh..opq`, and overlayfs's own xattrs stay out.
`write_tar` writes a directory as it is.

Output is deterministic for a given tree: entries in lexical order, a directory before its
children (as Docker's filepath.Walk), directory names ending in "/", no root entry, no user or
group names, whole-second mtimes. Files that share an inode become one file and hardlinks to
it. Xattrs go in PAX SCHILY.xattr.* records (binary values with hdrcharset=BINARY), so
security.capability file capabilities survive. Sockets are skipped, as Docker does. Nothing is
followed: the walk opens each directory with O_NOFOLLOW from its parent's descriptor.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from typing import BinaryIO

from dockyard import errdefs
from dockyard.snapshots.compression import CHUNK
from dockyard.snapshots.rootdir import DIR_FLAGS, RootDir
from dockyard.snapshots.unpack import OPAQUE_WHITEOUT, WHITEOUT_PREFIX, Applied

_OVERLAY_XATTRS = ("trusted.overlay.", "user.overlay.")
_OPAQUE = ("trusted.overlay.opaque", "user.overlay.opaque")


def write_diff(lower_dirs: list[str], upper: str, out: BinaryIO) -> Applied:
    """The changes in overlay upper dir `upper` (over `lower_dirs`, nearest first) as a layer
    tar written to `out` (uncompressed; wrap `out` to compress)."""
    return _write(upper, out, overlay=True, lower_dirs=lower_dirs)


def write_tar(root: str, out: BinaryIO) -> Applied:
    """Everything under `root` as a layer tar written to `out` (a base layer, an import)."""
    return _write(root, out, overlay=False, lower_dirs=[])


class _HashingWriter:
    """`out`, with the sha256 and length of what went through (tarfile wants tell())."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._sha = hashlib.sha256()
        self._count = 0

    def write(self, data: bytes) -> int:
        self._sha.update(data)
        self._count += len(data)
        self._out.write(data)
        return len(data)

    def tell(self) -> int:
        return self._count

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def _write(top: str, out: BinaryIO, *, overlay: bool, lower_dirs: list[str]) -> Applied:
    sink = _HashingWriter(out)
    tar = tarfile.TarFile(
        fileobj=sink,  # type: ignore[arg-type]  # tarfile needs only write() and tell()
        mode="w",
        format=tarfile.PAX_FORMAT,
        encoding="utf-8",
        errors="surrogateescape",  # non-UTF-8 names kept byte for byte
        copybufsize=CHUNK,
    )
    size = 0
    links: dict[tuple[int, int], str] = {}
    root_fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if overlay and _is_opaque(_xattrs(root_fd, None)):
            tar.addfile(_marker(OPAQUE_WHITEOUT, os.fstat(root_fd)))
        for dfd, path, name, st in _walk(root_fd):
            mode = st.st_mode
            if stat.S_ISSOCK(mode):
                continue
            if overlay and stat.S_ISCHR(mode) and st.st_rdev == 0:
                parent, _, base = path.rpartition("/")
                whiteout = f"{parent}/{WHITEOUT_PREFIX}{base}".lstrip("/")
                tar.addfile(_marker(whiteout, st))
                continue
            info = _tarinfo(path, st)
            xattrs = _xattrs(dfd, name)
            if overlay:
                _refuse_redirect(path, xattrs)
            info.pax_headers = {
                f"SCHILY.xattr.{k}": v.decode("utf-8", "surrogateescape")
                for k, v in sorted(xattrs.items())
                if not k.startswith(_OVERLAY_XATTRS)
            }
            if stat.S_ISREG(mode):
                key = (st.st_dev, st.st_ino)
                if key in links:
                    info.type, info.linkname, info.size = tarfile.LNKTYPE, links[key], 0
                    tar.addfile(info)
                    continue
                if st.st_nlink > 1:
                    links[key] = path
                source = _content_source(dfd, name, path, xattrs, lower_dirs, overlay)
                with os.fdopen(source, "rb", buffering=0) as f:
                    tar.addfile(info, f)
                size += st.st_size
            else:
                if stat.S_ISLNK(mode):
                    info.linkname = os.readlink(name, dir_fd=dfd)
                tar.addfile(info)
                if overlay and stat.S_ISDIR(mode) and _is_opaque(xattrs):
                    tar.addfile(_marker(f"{path}/{OPAQUE_WHITEOUT}", st))
        tar.close()
    finally:
        os.close(root_fd)
    return Applied(diff_id=f"sha256:{sink.hexdigest()}", size=size)


def _walk(root_fd: int) -> Iterator[tuple[int, str, str, os.stat_result]]:
    """(parent fd, relative path, name, lstat) of everything below `root_fd`, parents before
    children, names sorted; directories are opened with O_NOFOLLOW from their parent."""
    stack = [(root_fd, "", iter(sorted(os.listdir(root_fd))))]
    try:
        while stack:
            dfd, prefix, names = stack[-1]
            name = next(names, None)
            if name is None:
                stack.pop()
                if dfd != root_fd:
                    os.close(dfd)
                continue
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            path = prefix + name
            yield dfd, path, name, st
            if stat.S_ISDIR(st.st_mode):
                child = os.open(name, DIR_FLAGS, dir_fd=dfd)
                stack.append((child, path + "/", iter(sorted(os.listdir(child)))))
    finally:
        for dfd, _, _ in stack:
            if dfd != root_fd:
                os.close(dfd)


def _tarinfo(path: str, st: os.stat_result) -> tarfile.TarInfo:
    mode = st.st_mode
    info = tarfile.TarInfo(path + "/" if stat.S_ISDIR(mode) else path)
    info.mode = stat.S_IMODE(mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    if stat.S_ISREG(mode):
        info.type, info.size = tarfile.REGTYPE, st.st_size
    elif stat.S_ISDIR(mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(mode):
        info.type = tarfile.SYMTYPE
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    elif stat.S_ISFIFO(mode):
        info.type = tarfile.FIFOTYPE
    return info


def _marker(name: str, st: os.stat_result) -> tarfile.TarInfo:
    """A whiteout entry: an empty regular file, with the owner and time of what it marks."""
    info = tarfile.TarInfo(name)
    info.mode = stat.S_IMODE(st.st_mode) & 0o777
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = int(st.st_mtime)
    return info


def _xattrs(dfd: int, name: str | None) -> dict[str, bytes]:
    # /proc/self/fd/N is exactly directory N; the last component is not followed.
    target: int | str = dfd if name is None else f"/proc/self/fd/{dfd}/{name}"
    follow = name is None  # an fd takes no follow_symlinks=False
    try:
        keys = os.listxattr(target, follow_symlinks=follow)
        return {k: os.getxattr(target, k, follow_symlinks=follow) for k in sorted(keys)}
    except OSError as err:
        if err.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise


def _is_opaque(xattrs: dict[str, bytes]) -> bool:
    return any(xattrs.get(k) == b"y" for k in _OPAQUE)


def _refuse_redirect(path: str, xattrs: dict[str, bytes]) -> None:
    if "trusted.overlay.redirect" in xattrs or "user.overlay.redirect" in xattrs:
        raise errdefs.FailedPrecondition(
            f'"{path}" is a renamed directory (overlay redirect_dir): its contents live in '
            "the lower layers and cannot be written as a layer; mount with redirect_dir=off"
        )


def _content_source(
    dfd: int, name: str, path: str, xattrs: dict[str, bytes], lowers: list[str], overlay: bool
) -> int:
    """A descriptor of the file's data: the file, or for an overlay metacopy (metadata-only
    copy-up) the lower file it came from, the nearest one with the same path."""
    if overlay and any(k.endswith("overlay.metacopy") for k in xattrs):
        parent, _, base = path.rpartition("/")
        for lower in lowers:
            root = RootDir(lower)
            try:
                pfd = root.find(parent, path)
                if pfd is not None:
                    return os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
            except FileNotFoundError:
                pass
            finally:
                root.close()
        raise errdefs.FailedPrecondition(f'"{path}" is a metacopy without data in a lower')
    return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
