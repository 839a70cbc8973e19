"""ContainerPathStat: what HEAD /containers/{id}/archive reports of a path in a container.

`lookup` resolves and lstats a path as Docker's containerFSView.Stat does; `path_stat` turns
the result into the JSON document Docker sends base64-encoded in X-Docker-Container-Path-Stat:
name, size, mode (a Go os.FileMode, not a POSIX st_mode), mtime (RFC 3339 in local time) and
linkTarget (a symlink's target, resolved inside the container's root).
"""

from __future__ import annotations

import os
import stat as st_
import time
from typing import Any

from dockyard import errdefs
from dockyard.containers.fsview import FSView, go_base, go_error, not_found
from dockyard.images import timefmt

__all__ = ["go_file_mode", "lookup", "path_stat"]


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


def lookup(tree: FSView, path: str, container_name: str) -> tuple[list[str], os.stat_result]:
    """Resolve and lstat `path` as Docker's containerFSView.Stat does."""
    try:
        parts = tree.resolve(path, follow_last=False)
        return parts, tree.lstat(parts)
    except FileNotFoundError:
        raise not_found(path, container_name) from None
    except OSError as err:
        raise errdefs.Unknown(f"lstat {path}: {go_error(err)}") from err


def path_stat(tree: FSView, path: str, parts: list[str], st: os.stat_result) -> dict[str, Any]:
    target = ""
    if st_.S_ISLNK(st.st_mode):
        try:
            target = "/" + "/".join(tree.resolve("/".join(parts), follow_last=True))
        except OSError as err:
            raise errdefs.Unknown(f"failed to resolve {path}: {go_error(err)}") from err
    seconds = st.st_mtime_ns // 1_000_000_000
    offset = time.localtime(seconds).tm_gmtoff // 60  # Go marshals ModTime in local time
    return {
        "name": go_base(path),
        "size": st.st_size,
        "mode": go_file_mode(st.st_mode),
        "mtime": timefmt.format_ns(st.st_mtime_ns, offset),
        "linkTarget": target,
    }
