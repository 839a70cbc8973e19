"""go-archive's tarAppender: a directory or one file of a container as a stream of tar chunks.

What `docker cp` (GET /containers/{id}/archive) and `docker export` send. Streams are
iterators of ~64 KiB chunks, written the way Go's archive/tar writes (PAX where needed, no
user names, whole-second times, no padding after the two end blocks). Files are walked with
openat() and O_NOFOLLOW below the container's root (see fsview); a file that vanishes while
it is read is skipped or zero-filled to the size its header promised, as Docker does.
"""

from __future__ import annotations

import logging
import os
import stat as st_
import tarfile
from collections.abc import Generator, Iterator

from dockyard.containers.fsview import OPEN_DIR, FSView

__all__ = ["CHUNK", "stream_tar"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_BLOCK = tarfile.BLOCKSIZE


def stream_tar(
    tree: FSView,
    parts: list[str],
    *,
    top: str | None = None,
    single: tuple[str, str] | None = None,
) -> Iterator[bytes]:
    """Tar chunks of directory `parts` (its own entry named `top` unless None, children
    below it) or of the one entry `single` = (name in `parts`, name in the archive)."""
    out = _TarOut()
    try:
        dfd = tree.open_dir(parts)
        try:
            if single is not None:
                yield from out.add(dfd, single[0], single[1])
            else:
                if top is not None:
                    yield from out.add_dir_self(dfd, top)
                yield from out.add_tree(dfd, "" if top is None else top + "/")
        finally:
            os.close(dfd)
        out.buf += bytes(2 * _BLOCK)
        yield out.take()
    finally:
        tree.close()


class _TarOut:
    """Tar entries as go-archive's tarAppender writes them, buffered into chunks."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.links: dict[tuple[int, int], str] = {}

    def take(self) -> bytes:
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def add_dir_self(self, dfd: int, name: str) -> Iterator[bytes]:
        info = _header(name, os.fstat(dfd), "")
        assert info is not None
        self._write_header(info, _capability(f"/proc/self/fd/{dfd}"))
        yield from self._flush()

    def add_tree(self, dfd: int, prefix: str) -> Iterator[bytes]:
        """Everything below directory `dfd`, names sorted, parents first (Go's WalkDir)."""
        for name in sorted(os.listdir(dfd)):
            is_dir = yield from self.add(dfd, name, prefix + name)
            if is_dir:
                try:
                    child = os.open(name, OPEN_DIR, dir_fd=dfd)
                except FileNotFoundError:
                    continue  # removed meanwhile (a running container): skipped, as Docker
                try:
                    yield from self.add_tree(child, prefix + name + "/")
                finally:
                    os.close(child)

    def add(self, dfd: int, name: str, arcname: str) -> Generator[bytes, None, bool]:
        """One entry; returns whether it was a directory (a generator's return value)."""
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            link = os.readlink(name, dir_fd=dfd) if st_.S_ISLNK(st.st_mode) else ""
        except FileNotFoundError:
            return False
        info = _header(arcname, st, link)
        if info is None:
            log.debug("not archiving %s: sockets are not supported", arcname)
            return False
        capability = _capability(f"/proc/self/fd/{dfd}/{name}")
        if not st_.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            first = self.links.get(key)
            if first is not None:
                info.type, info.linkname, info.size = tarfile.LNKTYPE, first, 0
            else:
                self.links[key] = info.name
        self._write_header(info, capability)
        if info.type == tarfile.REGTYPE and info.size:
            yield from self._content(dfd, name, info.size)
        yield from self._flush()
        return st_.S_ISDIR(st.st_mode)

    def _write_header(self, info: tarfile.TarInfo, capability: bytes | None) -> None:
        if capability is not None:
            value = capability.decode("utf-8", "surrogateescape")
            info.pax_headers = {"SCHILY.xattr.security.capability": value}
        self.buf += info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")

    def _content(self, dfd: int, name: str, size: int) -> Iterator[bytes]:
        left = size
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
        except OSError as err:  # vanished or replaced: the header promised `size` bytes
            log.debug("failed to read %s: %s", name, err)
            fd = -1
        try:
            while left and fd >= 0:
                data = os.read(fd, min(CHUNK, left))
                if not data:
                    break  # shrank meanwhile: zero-filled below
                self.buf += data
                left -= len(data)
                if len(self.buf) >= CHUNK:
                    yield self.take()
        finally:
            if fd >= 0:
                os.close(fd)
        self.buf += bytes(left)
        self.buf += bytes(-size % _BLOCK)

    def _flush(self) -> Iterator[bytes]:
        if len(self.buf) >= CHUNK:
            yield self.take()


def _header(name: str, st: os.stat_result, link: str) -> tarfile.TarInfo | None:
    """go-archive's FileInfoHeader: permission and special bits, ids, no names, whole
    seconds; a directory's name ends in "/". None for a socket (Go's tar refuses them)."""
    mode = st.st_mode
    if st_.S_ISSOCK(mode):
        return None
    info = tarfile.TarInfo(name + "/" if st_.S_ISDIR(mode) and not name.endswith("/") else name)
    info.mode = st_.S_IMODE(mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname = info.gname = ""
    info.mtime = st.st_mtime_ns // 1_000_000_000
    if st_.S_ISREG(mode):
        info.type, info.size = tarfile.REGTYPE, st.st_size
    elif st_.S_ISDIR(mode):
        info.type = tarfile.DIRTYPE
    elif st_.S_ISLNK(mode):
        info.type, info.linkname = tarfile.SYMTYPE, link
    elif st_.S_ISCHR(mode) or st_.S_ISBLK(mode):
        info.type = tarfile.CHRTYPE if st_.S_ISCHR(mode) else tarfile.BLKTYPE
        info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
    elif st_.S_ISFIFO(mode):
        info.type = tarfile.FIFOTYPE
    return info


def _capability(path: str) -> bytes | None:
    """security.capability, as go-archive's ReadSecurityXattrToTarHeader: a v3 (namespaced)
    capability becomes v2, its root uid meaning nothing outside the user namespace."""
    try:
        value = os.getxattr(path, "security.capability", follow_symlinks=False)
    except OSError:
        return None
    if len(value) > 3 and value[3] == 3:
        value = bytes(value[:3]) + b"\x02" + bytes(value[4:20])
    return value
