"""go-archive's Unpack for `docker cp` into a container: a tar stream extracted below one directory.

As Docker 28 does it: entry names are cleaned and one that climbs out of the extraction
directory is refused, as are hardlinks to outside it and relative symlinks whose target climbs
out of it (absolute symlink targets are kept: they mean the container's root); an existing
name is replaced unless both are directories; ownership comes from the tar headers, or from
the container's user when `docker cp -a` (copyUIDGID) asks for it; directory times are set
last. Every file is reached through the container's root with O_NOFOLLOW (see fsview).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat as st_
from collections.abc import Iterable
from typing import cast

from dockyard import errdefs
from dockyard.containers.fsview import FSView, go_clean
from dockyard.snapshots import tarstream
from dockyard.snapshots.tarstream import Entry, Readable, TarReader

__all__ = ["Extractor", "readable"]

log = logging.getLogger(__name__)


class _ChunkReader:
    """read(n) over an iterable of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it = iter(chunks)
        self._pending = b""

    def read(self, n: int = -1, /) -> bytes:
        while not self._pending:
            chunk = next(self._it, None)
            if chunk is None:
                return b""
            self._pending = bytes(chunk)
        if n < 0 or n >= len(self._pending):
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:n], self._pending[n:]
        return data


def readable(source: Readable | Iterable[bytes]) -> Readable:
    # A file object is iterable too (by lines): read() decides.
    if hasattr(source, "read"):
        return cast(Readable, source)
    return _ChunkReader(source)


class Extractor:
    """go-archive's Unpack + createTarFile for one destination directory."""

    def __init__(
        self, tree: FSView, dest: list[str], *, owner: tuple[int, int] | None, no_overwrite: bool
    ) -> None:
        self.tree = tree
        self.dest = dest
        self.dest_path = "/" + "/".join(dest)
        self.owner = owner
        self.no_overwrite = no_overwrite
        self.dirs: list[tuple[list[str], Entry]] = []

    def apply(self, e: Entry, reader: TarReader) -> None:
        name = go_clean(e.name.lstrip("/"))
        if name == ".":
            return
        if name == ".." or name.startswith("../"):
            raise errdefs.InvalidArgument(f'"{e.name}" is outside of "{self.dest_path}"')
        parent, _, base = name.rpartition("/")
        pparts = self.tree.resolve("/".join([*self.dest, parent]), follow_last=True)
        if e.type == tarstream.SYM:
            self._check_symlink(name, e.linkname)
        pfd = self.tree.open_dir(pparts, create=True)
        target = None
        try:
            if e.type == tarstream.LNK:
                target = self._hardlink_target(e)
            self._replace(e, pfd, base, self._shown(name))
            self._create(e, pfd, base, reader, target)
            self._metadata(e, pfd, base)
        finally:
            os.close(pfd)
            if target is not None:
                os.close(target[0])
        if e.type == tarstream.DIR:
            self.dirs.append(([*pparts, base], e))

    def _shown(self, name: str) -> str:
        """An entry's path in the container, for messages."""
        return f"{self.dest_path.rstrip('/')}/{name}"

    def finish(self) -> None:
        """Directory times last: extracting into a directory changes its mtime."""
        for parts, e in self.dirs:
            try:
                fd = self.tree.open_dir(parts)
            except OSError:
                continue  # replaced by a later entry
            try:
                os.utime(fd, ns=_times(e))
            finally:
                os.close(fd)

    def _hardlink_target(self, e: Entry) -> tuple[int, str]:
        cleaned = go_clean(e.linkname.lstrip("/"))
        if cleaned in (".", "..") or cleaned.startswith("../"):
            raise errdefs.InvalidArgument(
                f'invalid hardlink "{self._shown(cleaned)}" -> "{e.linkname}"'
            )
        parent, _, base = cleaned.rpartition("/")
        parts = self.tree.resolve("/".join([*self.dest, parent]), follow_last=True)
        return self.tree.open_dir(parts), base

    def _check_symlink(self, name: str, linkname: str) -> None:
        # Docker 28 joins the link's directory and its target lexically (an absolute target
        # is appended, as Go's filepath.Join does) and refuses one that leaves the extraction
        # directory; the kernel resolves it inside the container later anyway.
        parent = name.rpartition("/")[0]
        joined = go_clean(f"{self.dest_path}/{parent}/{linkname}")
        inside = joined == self.dest_path or joined.startswith(self.dest_path + "/")
        if self.dest_path != "/" and not inside:
            raise errdefs.InvalidArgument(f'invalid symlink "{self._shown(name)}" -> "{linkname}"')

    def _replace(self, e: Entry, pfd: int, base: str, shown: str) -> None:
        """An existing name is replaced, unless both are directories (then merged)."""
        try:
            old = os.stat(base, dir_fd=pfd, follow_symlinks=False)
        except FileNotFoundError:
            return
        old_dir, new_dir = st_.S_ISDIR(old.st_mode), e.type == tarstream.DIR
        if self.no_overwrite and old_dir and not new_dir:
            raise errdefs.InvalidArgument(
                f'cannot overwrite directory "{shown}" with non-directory "{self.dest_path}"'
            )
        if self.no_overwrite and not old_dir and new_dir:
            raise errdefs.InvalidArgument(
                f'cannot overwrite non-directory "{shown}" with directory "{self.dest_path}"'
            )
        if old_dir and new_dir:
            return
        if old_dir:
            shutil.rmtree(base, dir_fd=pfd)  # fd-based: symlinks inside are never followed
        else:
            os.unlink(base, dir_fd=pfd)

    def _create(
        self, e: Entry, pfd: int, base: str, reader: TarReader, target: tuple[int, str] | None
    ) -> None:
        kind = e.type
        if kind == tarstream.DIR:
            try:
                os.mkdir(base, e.mode & 0o777, dir_fd=pfd)
            except FileExistsError:
                pass  # merged into the existing directory
        elif kind == tarstream.REG:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(base, flags, e.mode & 0o777, dir_fd=pfd)
            try:
                reader.copy_to(fd)
            finally:
                os.close(fd)
        elif kind == tarstream.SYM:
            os.symlink(e.linkname, base, dir_fd=pfd)
        elif kind == tarstream.LNK:
            assert target is not None
            tfd, tbase = target
            os.link(tbase, base, src_dir_fd=tfd, dst_dir_fd=pfd, follow_symlinks=False)
        elif kind in (tarstream.CHR, tarstream.BLK):
            dev = os.makedev(e.devmajor, e.devminor)
            fmt = st_.S_IFCHR if kind == tarstream.CHR else st_.S_IFBLK
            os.mknod(base, fmt | (e.mode & 0o777), dev, dir_fd=pfd)
        elif kind == tarstream.FIFO:
            os.mkfifo(base, e.mode & 0o777, dir_fd=pfd)
        else:
            raise errdefs.InvalidArgument(f'"{e.name}": unhandled tar header type {chr(kind)!r}')

    def _metadata(self, e: Entry, pfd: int, base: str) -> None:
        uid, gid = self.owner or (e.uid, e.gid)
        os.chown(base, uid, gid, dir_fd=pfd, follow_symlinks=False)
        for key, value in e.xattrs.items():
            try:
                os.setxattr(f"/proc/self/fd/{pfd}/{base}", key, value, follow_symlinks=False)
            except OSError as err:
                if err.errno not in (errno.EPERM, errno.ENOTSUP):
                    raise
                log.warning("ignored xattr %s of %r: %s", key, e.name, err.strerror)
        is_link_to_symlink = e.type == tarstream.LNK and st_.S_ISLNK(
            os.stat(base, dir_fd=pfd, follow_symlinks=False).st_mode
        )
        if e.type == tarstream.SYM or is_link_to_symlink:
            os.utime(base, ns=_times(e), dir_fd=pfd, follow_symlinks=False)
            return
        os.chmod(base, e.mode, dir_fd=pfd)  # after chown, which clears setuid bits
        if e.type != tarstream.DIR:
            os.utime(base, ns=_times(e), dir_fd=pfd, follow_symlinks=False)


def _times(e: Entry) -> tuple[int, int]:
    """(atime, mtime): go-archive sets the later of the two as atime."""
    atime = e.mtime_ns if e.atime_ns is None else max(e.atime_ns, e.mtime_ns)
    return atime, e.mtime_ns
