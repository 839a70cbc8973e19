"""`docker cp` and `docker export`: a container's files as tar streams, and tar streams into it.

Docker's semantics (moby daemon/archive*.go on go-archive, Docker 28), on a container rootfs
the caller has mounted (the rw snapshot's overlay) and keeps mounted until a stream is read:

    doc = stat(rootfs, "/etc/passwd", container_name="web")    # HEAD /containers/web/archive
    doc, chunks = get(rootfs, "/etc", container_name="web")    # GET: tar with "etc/" on top
    put(rootfs, "/tmp", chunks_or_file, container_name="web")  # PUT: extract into /tmp
    chunks = export(rootfs)                                    # GET /containers/web/export

Paths are resolved inside the rootfs as the kernel resolves them in a container chrooted there
(what Docker gets by running these in the container's filesystem): symlinks, absolute or not,
are followed relative to the rootfs, `..` stops at its top; the last component is not followed
(lstat) unless the path ends in "/" or "/.". Every file is then reached by openat() with
O_NOFOLLOW from a descriptor of the rootfs, so a running container swapping a directory for a
symlink mid-way makes the operation fail, never escape.

`put` extracts as go-archive's Unpack does for `docker cp` (Docker 28): entry names are cleaned
and one that climbs out of the extraction directory is refused, as are hardlinks to outside it
and relative symlinks whose target climbs out of it (absolute symlink targets are kept: they
mean the container's root); ownership comes from the tar headers, or with `copy_uid_gid` from
the container's user. The functions are synchronous and blocking: call them from a thread.
Streams are iterators of ~64 KiB chunks, written the way Go's archive/tar writes (PAX where
needed, no user names, whole-second times, no padding after the two end blocks).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import stat as st_
import tarfile
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, cast

from dockyard import errdefs
from dockyard.images import timefmt
from dockyard.snapshots import tarstream
from dockyard.snapshots.compression import open_layer
from dockyard.snapshots.tarstream import Entry, Readable, TarReader

__all__ = ["export", "get", "go_file_mode", "put", "stat"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_BLOCK = tarfile.BLOCKSIZE
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40  # Linux's MAXSYMLINKS
_IMPLIED_DIR_MODE = 0o755  # go-archive's ImpliedDirectoryMode

# Go's io/fs.FileMode type bits: PathStat.mode is a Go FileMode, not a POSIX st_mode.
_GO_TYPE = {
    st_.S_IFDIR: 1 << 31,
    st_.S_IFLNK: 1 << 27,
    st_.S_IFBLK: 1 << 26,
    st_.S_IFCHR: (1 << 26) | (1 << 21),
    st_.S_IFIFO: 1 << 25,
    st_.S_IFSOCK: 1 << 24,
}
_GO_SETUID, _GO_SETGID, _GO_STICKY = 1 << 23, 1 << 22, 1 << 20


def go_file_mode(st_mode: int) -> int:
    """os.FileMode of a st_mode, as Go's os.Lstat builds it (a 0755 directory: 2147484141)."""
    mode = (st_mode & 0o777) | _GO_TYPE.get(st_.S_IFMT(st_mode), 0)
    for bit, go_bit in ((st_.S_ISUID, _GO_SETUID), (st_.S_ISGID, _GO_SETGID)):
        if st_mode & bit:
            mode |= go_bit
    if st_mode & st_.S_ISVTX:
        mode |= _GO_STICKY
    return mode


# -- paths ------------------------------------------------------------------------------------


def _go_clean(path: str) -> str:
    """Go's path.Clean."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    return ("/" + cleaned) if rooted else (cleaned or ".")


def _go_base(path: str) -> str:
    """Go's path.Base."""
    if not path:
        return "."
    path = path.rstrip("/")
    return path.rpartition("/")[2] if path else "/"


def _preserve_trailing(cleaned: str, original: str) -> str:
    """go-archive's PreserveTrailingDotOrSeparator: "a/." and "a/" keep their meaning."""
    if _go_base(cleaned) != "." and _go_base(original) == ".":
        cleaned += ("" if cleaned.endswith("/") else "/") + "."
    if not cleaned.endswith("/") and original.endswith("/"):
        cleaned += "/"
    return cleaned


def _not_found(path: str, container_name: str) -> errdefs.NotFound:
    return errdefs.NotFound(f"Could not find the file {path} in container {container_name}")


class _Tree:
    """A container rootfs, opened once; paths are lists of components below it."""

    def __init__(self, rootfs: str) -> None:
        self.fd = os.open(rootfs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        os.close(self.fd)

    def resolve(self, path: str, *, follow_last: bool) -> list[str]:
        """`path` with its symlinks resolved inside the root (the last one only when
        `follow_last` or the path ends in "/"). Missing components are kept as written;
        NotADirectoryError when a non-directory has components after it, OSError(ELOOP)."""
        if path.endswith("/"):
            path += "."  # the kernel follows a final symlink before a trailing slash
        todo = [p for p in path.split("/") if p]
        stack: list[tuple[str, int | None]] = []  # (name, O_PATH fd of an existing dir)
        links = 0
        try:
            while todo:
                part = todo.pop(0)
                if part == ".":
                    continue
                if part == "..":
                    if stack:
                        _close(stack.pop()[1])
                    continue
                parent = stack[-1][1] if stack else self.fd
                if stack and parent is None:  # below a missing component: lexical
                    stack.append((part, None))
                    continue
                try:
                    st = os.stat(part, dir_fd=parent, follow_symlinks=False)
                except FileNotFoundError:
                    stack.append((part, None))
                    continue
                if st_.S_ISLNK(st.st_mode) and (todo or follow_last):
                    links += 1
                    if links > _MAX_LINKS:
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
                    target = os.readlink(part, dir_fd=parent)
                    if target.startswith("/"):
                        while stack:
                            _close(stack.pop()[1])
                    todo = [p for p in target.split("/") if p] + todo
                    continue
                if st_.S_ISDIR(st.st_mode):
                    stack.append((part, os.open(part, _PATH, dir_fd=parent)))
                    continue
                if todo:
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
                stack.append((part, None))
            return [name for name, _ in stack]
        finally:
            for _, fd in stack:
                _close(fd)

    def open_dir(self, parts: list[str], *, create: bool = False) -> int:
        """A new descriptor of directory `parts`, walked with O_NOFOLLOW (a symlink on the way
        is ELOOP, never followed); with `create`, missing directories are made 0755."""
        fd = os.dup(self.fd)
        try:
            for part in parts:
                try:
                    child = os.open(part, _DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, _IMPLIED_DIR_MODE, dir_fd=fd)
                    child = os.open(part, _DIR, dir_fd=fd)
                    os.fchmod(child, _IMPLIED_DIR_MODE)  # whatever the umask
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def lstat(self, parts: list[str]) -> os.stat_result:
        if not parts:
            return os.fstat(self.fd)
        pfd = self.open_dir(parts[:-1])
        try:
            return os.stat(parts[-1], dir_fd=pfd, follow_symlinks=False)
        finally:
            os.close(pfd)


def _go_error(err: OSError) -> str:
    """An errno's text as Go prints it ("not a directory")."""
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _lookup(tree: _Tree, path: str, container_name: str) -> tuple[list[str], os.stat_result]:
    """Resolve and lstat `path` as Docker's containerFSView.Stat does."""
    try:
        parts = tree.resolve(path, follow_last=False)
        return parts, tree.lstat(parts)
    except FileNotFoundError:
        raise _not_found(path, container_name) from None
    except OSError as err:
        raise errdefs.Unknown(f"lstat {path}: {_go_error(err)}") from err


def _path_stat(tree: _Tree, path: str, parts: list[str], st: os.stat_result) -> dict[str, Any]:
    target = ""
    if st_.S_ISLNK(st.st_mode):
        try:
            target = "/" + "/".join(tree.resolve("/".join(parts), follow_last=True))
        except OSError as err:
            raise errdefs.Unknown(f"failed to resolve {path}: {_go_error(err)}") from err
    seconds = st.st_mtime_ns // 1_000_000_000
    offset = time.localtime(seconds).tm_gmtoff // 60  # Go marshals ModTime in local time
    return {
        "name": _go_base(path),
        "size": st.st_size,
        "mode": go_file_mode(st.st_mode),
        "mtime": timefmt.format_ns(st.st_mtime_ns, offset),
        "linkTarget": target,
    }


# -- stat and get -----------------------------------------------------------------------------


def stat(rootfs: str, path: str, *, container_name: str = "") -> dict[str, Any]:
    """ContainerPathStat of `path` (HEAD /containers/{id}/archive): name, size, mode (a Go
    os.FileMode), mtime (RFC 3339), linkTarget (a symlink's target, resolved in the root)."""
    tree = _Tree(rootfs)
    try:
        parts, st = _lookup(tree, path, container_name)
        return _path_stat(tree, path, parts, st)
    finally:
        tree.close()


def get(
    rootfs: str, path: str, *, container_name: str = ""
) -> tuple[dict[str, Any], Iterator[bytes]]:
    """GET /containers/{id}/archive: the PathStat and a tar of `path`. A directory comes with
    its own name on top ("etc/", "etc/passwd"), "dir/." with "./" on top; a file or symlink
    is one entry named as the path's last component. Errors come before the first chunk;
    close() the iterator if it is not read to its end."""
    tree = _Tree(rootfs)
    try:
        parts, st = _lookup(tree, path, container_name)
        doc = _path_stat(tree, path, parts, st)
    except BaseException:
        tree.close()
        raise
    abs_path = _preserve_trailing(_go_clean("/" + path), path)
    rebase = _go_base(abs_path)
    if st_.S_ISDIR(st.st_mode):
        prefix = "" if rebase == "/" else rebase  # go-archive: "/" is rebased to ""
        return doc, _stream(tree, parts, top=prefix)
    return doc, _stream(tree, parts[:-1], single=(parts[-1], rebase))


def export(rootfs: str) -> Iterator[bytes]:
    """docker export: the whole filesystem as a tar ("bin/", "bin/sh", ... no root entry)."""
    return _stream(_Tree(rootfs), [], top=None)


def _stream(
    tree: _Tree,
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
                    child = os.open(name, _DIR, dir_fd=dfd)
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


# -- put --------------------------------------------------------------------------------------


def put(
    rootfs: str,
    path: str,
    tar_stream: Readable | Iterable[bytes],
    *,
    container_name: str = "",
    no_overwrite_dir_non_dir: bool = False,
    copy_uid_gid: bool = False,
    user: str = "",
    read_only: bool = False,
) -> None:
    """PUT /containers/{id}/archive: extract a tar (plain, gzip or zstd) into directory
    `path`. `tar_stream` is a binary file (anything with read(n)) or an iterable of byte
    chunks; it is read to its end on success. `user` is the container's Config.User (what
    `copy_uid_gid` chowns to); `read_only` is HostConfig.ReadonlyRootfs for a path outside
    any volume. NotFound when `path` does not exist, InvalidArgument when it is not a
    directory or an entry would land outside it."""
    tree = _Tree(rootfs)
    try:
        try:
            dest = tree.resolve(path, follow_last=True)
            st = tree.lstat(dest)
        except FileNotFoundError:
            raise _not_found(path, container_name) from None
        except NotADirectoryError:
            raise errdefs.InvalidArgument("extraction point is not a directory") from None
        except OSError as err:
            raise errdefs.Unknown(f"failed to resolve {path}: {_go_error(err)}") from err
        if not st_.S_ISDIR(st.st_mode):
            raise errdefs.InvalidArgument("extraction point is not a directory")
        if read_only:
            raise errdefs.InvalidArgument("container rootfs is marked read-only")
        owner = _container_owner(tree, user) if copy_uid_gid and user else None
        source = open_layer(_readable(tar_stream))
        extractor = _Extractor(tree, dest, owner=owner, no_overwrite=no_overwrite_dir_non_dir)
        reader = TarReader(source)
        for entry in reader:
            try:
                extractor.apply(entry, reader)
            except OSError as err:
                raise errdefs.Unknown(
                    f'failed to extract "{entry.name}": {_go_error(err)}'
                ) from err
        extractor.finish()
        reader.drain()
    finally:
        tree.close()


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


def _readable(source: Readable | Iterable[bytes]) -> Readable:
    # A file object is iterable too (by lines): read() decides.
    if hasattr(source, "read"):
        return cast(Readable, source)
    return _ChunkReader(source)


class _Extractor:
    """go-archive's Unpack + createTarFile for one destination directory."""

    def __init__(
        self, tree: _Tree, dest: list[str], *, owner: tuple[int, int] | None, no_overwrite: bool
    ) -> None:
        self.tree = tree
        self.dest = dest
        self.dest_path = "/" + "/".join(dest)
        self.owner = owner
        self.no_overwrite = no_overwrite
        self.dirs: list[tuple[list[str], Entry]] = []

    def apply(self, e: Entry, reader: TarReader) -> None:
        name = _go_clean(e.name.lstrip("/"))
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
        cleaned = _go_clean(e.linkname.lstrip("/"))
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
        joined = _go_clean(f"{self.dest_path}/{parent}/{linkname}")
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


# -- copyUIDGID -------------------------------------------------------------------------------


def _container_owner(tree: _Tree, user: str) -> tuple[int, int]:
    """moby's getUIDGID: Config.User ("name", "uid", "name:group", "uid:gid"...) as ids,
    names looked up in the container's /etc/passwd and /etc/group."""
    name, _, group = user.partition(":")
    uid = gid = 0
    if name:
        if _is_id(name):
            uid = int(name)
            entry = _find(tree, "/etc/passwd", lambda f: len(f) > 3 and f[2] == name)
            gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
        else:
            entry = _find(tree, "/etc/passwd", lambda f: len(f) > 3 and f[0] == name)
            if entry is None or not (entry[2].isdigit() and entry[3].isdigit()):
                raise errdefs.InvalidArgument(
                    f'failed to look up user "{name}" in container: '
                    "no matching entries in passwd file"
                )
            uid, gid = int(entry[2]), int(entry[3])
    if group:
        if _is_id(group):
            gid = int(group)
        else:
            entry = _find(tree, "/etc/group", lambda f: len(f) > 2 and f[0] == group)
            if entry is None or not entry[2].isdigit():
                raise errdefs.InvalidArgument(
                    f'failed to look up group "{group}" in container: '
                    "no matching entries in group file"
                )
            gid = int(entry[2])
    return uid, gid


def _is_id(text: str) -> bool:
    return text.isdigit() and int(text) <= 0x7FFFFFFF


def _find(tree: _Tree, path: str, match: Callable[[list[str]], bool]) -> list[str] | None:
    """The first line of a passwd/group file inside the root whose fields `match`."""
    try:
        parts = tree.resolve(path, follow_last=True)
        pfd = tree.open_dir(parts[:-1])
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=pfd)
        finally:
            os.close(pfd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        for raw in f:
            fields = raw.decode("utf-8", "replace").rstrip("\n").split(":")
            if match(fields):
                return fields
    return None
