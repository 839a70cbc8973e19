"""`docker cp` and `docker export`: a container's files as tar streams, and tar streams into it.

Docker's semantics (moby daemon/archive*.go on go-archive, Docker 28), on a container rootfs
the caller has mounted (the rw snapshot's overlay) and keeps mounted until a stream is read:

    doc = stat(rootfs, "/etc/passwd", container_name="web")    # HEAD /containers/web/archive
    doc, chunks = get(rootfs, "/etc", container_name="web")    # GET: tar with "etc/" on top
    put(rootfs, "/tmp", chunks_or_file, container_name="web")  # PUT: extract into /tmp
    chunks = export(rootfs)                                    # GET /containers/web/export

This module is the public surface; the work is done by its parts: `fsview` resolves paths
inside the rootfs as the container would (symlinks never escape it), `pathstat` builds the
ContainerPathStat, `tarappender` writes the tar streams, `unpack` extracts into the rootfs
and `tarcopyoptions` finds the owner `copy_uid_gid` asks for. The functions are synchronous
and blocking: call them from a thread.
"""

from __future__ import annotations

import stat as st_
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.containers.fsview import (
    FSView,
    go_base,
    go_clean,
    go_error,
    not_found,
    preserve_trailing,
)
from dockyard.containers.pathstat import go_file_mode, lookup, path_stat
from dockyard.containers.tarappender import stream_tar
from dockyard.containers.tarcopyoptions import container_owner
from dockyard.containers.unpack import Extractor, readable
from dockyard.snapshots.compression import open_layer
from dockyard.snapshots.tarstream import Readable, TarReader

__all__ = ["export", "get", "go_file_mode", "put", "stat"]


def stat(rootfs: str, path: str, *, container_name: str = "") -> dict[str, Any]:
    """ContainerPathStat of `path` (HEAD /containers/{id}/archive): name, size, mode (a Go
    os.FileMode), mtime (RFC 3339), linkTarget (a symlink's target, resolved in the root)."""
    tree = FSView(rootfs)
    try:
        parts, st = lookup(tree, path, container_name)
        return path_stat(tree, path, parts, st)
    finally:
        tree.close()


def get(
    rootfs: str, path: str, *, container_name: str = ""
) -> tuple[dict[str, Any], Iterator[bytes]]:
    """GET /containers/{id}/archive: the PathStat and a tar of `path`. A directory comes with
    its own name on top ("etc/", "etc/passwd"), "dir/." with "./" on top; a file or symlink
    is one entry named as the path's last component. Errors come before the first chunk;
    close() the iterator if it is not read to its end."""
    tree = FSView(rootfs)
    try:
        parts, st = lookup(tree, path, container_name)
        doc = path_stat(tree, path, parts, st)
    except BaseException:
        tree.close()
        raise
    abs_path = preserve_trailing(go_clean("/" + path), path)
    rebase = go_base(abs_path)
    if st_.S_ISDIR(st.st_mode):
        prefix = "" if rebase == "/" else rebase  # go-archive: "/" is rebased to ""
        return doc, stream_tar(tree, parts, top=prefix)
    return doc, stream_tar(tree, parts[:-1], single=(parts[-1], rebase))


def export(rootfs: str) -> Iterator[bytes]:
    """docker export: the whole filesystem as a tar ("bin/", "bin/sh", ... no root entry)."""
    return stream_tar(FSView(rootfs), [], top=None)


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
    mounts: Sequence[tuple[str, bool]] = (),
) -> None:
    """PUT /containers/{id}/archive: extract a tar (plain, gzip or zstd) into directory
    `path`. `tar_stream` is a binary file (anything with read(n)) or an iterable of byte
    chunks; it is read to its end on success. `user` is the container's Config.User (what
    `copy_uid_gid` chowns to). `mounts` are (destination, RW) of the container's mounts: a
    path in a read-only one is refused, a path outside all of them when `read_only`
    (HostConfig.ReadonlyRootfs). NotFound when `path` does not exist, InvalidArgument when
    it is not a directory or an entry would land outside it."""
    tree = FSView(rootfs)
    try:
        try:
            dest = tree.resolve(path, follow_last=True)
            st = tree.lstat(dest)
        except FileNotFoundError:
            raise not_found(path, container_name) from None
        except NotADirectoryError:
            raise errdefs.InvalidArgument("extraction point is not a directory") from None
        except OSError as err:
            raise errdefs.Unknown(f"failed to resolve {path}: {go_error(err)}") from err
        if not st_.S_ISDIR(st.st_mode):
            raise errdefs.InvalidArgument("extraction point is not a directory")
        _check_writable("/" + "/".join(dest), mounts, read_only=read_only)
        owner = container_owner(tree, user) if copy_uid_gid and user else None
        source = open_layer(readable(tar_stream))
        extractor = Extractor(tree, dest, owner=owner, no_overwrite=no_overwrite_dir_non_dir)
        reader = TarReader(source)
        for entry in reader:
            try:
                extractor.apply(entry, reader)
            except OSError as err:
                raise errdefs.Unknown(f'failed to extract "{entry.name}": {go_error(err)}') from err
        extractor.finish()
        reader.drain()
    finally:
        tree.close()


def _check_writable(path: str, mounts: Sequence[tuple[str, bool]], *, read_only: bool) -> None:
    """moby checkWritablePath: a path in a mount is as writable as that mount (the deepest
    one here; moby takes any, in map order), any other path as the rootfs."""
    covering = [(dest, rw) for dest, rw in mounts if _has_resource(dest, path)]
    if covering:
        if not max(covering, key=lambda m: len(go_clean(m[0])))[1]:
            raise errdefs.InvalidArgument("mounted volume is marked read-only")
        return
    if read_only:
        raise errdefs.InvalidArgument("container rootfs is marked read-only")


def _has_resource(destination: str, path: str) -> bool:
    """moby's linuxParser.HasResource: `path` is the mount's destination or below it."""
    dest = go_clean(destination)
    return path == dest or path.startswith(dest.rstrip("/") + "/")
