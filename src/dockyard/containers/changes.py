"""docker diff: what a container changed, read from its overlay upper dir and the image layers.

Docker (go-archive's ChangesDirs, what overlay2 and the containerd snapshotters run) compares
the container's filesystem with its image's, tree against tree. With overlayfs only the paths
in the upper dir can differ, so this walks the upper dir and looks each name up in the lower
layers as overlayfs would show them (nearest layer first; a whiteout, a non-directory or an
opaque directory hides what lies below), and reports what Docker's comparison reports:

- Kind 1 (A, added): not in the image. Everything below an added directory is added too.
- Kind 2 (D, deleted): an overlay whiteout (0:0 character device) of something the image
  has, and for an opaque directory each image entry it hides. Only the top of a deleted
  tree is listed.
- Kind 0 (C, modified): in both, with a different mode, owner, device number or
  security.capability, or, for non-directories, size or mtime (Docker ignores directories'
  sizes and times: moby#9874). A directory with a change anywhere below it is modified too
  (moby#13590), so `docker diff` lists the parents of every change.

Times compare as Docker's sameFsTime: equal, or the same second when one of them has no
sub-second part (a layer tar keeps whole seconds). The list is sorted by path (Docker's own
order is Go map order, different on every call).
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any

__all__ = ["KIND_ADD", "KIND_DELETE", "KIND_MODIFY", "changes"]

KIND_MODIFY, KIND_ADD, KIND_DELETE = 0, 1, 2

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPAQUE = ("trusted.overlay.opaque", "user.overlay.opaque")
_NS = 1_000_000_000


def changes(*, upper_dir: str, lower_dirs: list[str]) -> list[dict[str, Any]]:
    """ContainerChangeResponseItem list ({"Path": "/etc/passwd", "Kind": 0}) of the overlay
    upper dir `upper_dir` over `lower_dirs` (nearest first: Snapshotter.lower_dirs)."""
    found: list[tuple[str, int]] = []
    upper = os.open(upper_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    lowers: list[int] = []
    try:
        for path in lower_dirs:
            lowers.append(os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        _Walk(found).dir(upper, lowers, "", opaque=_is_opaque(upper))
    finally:
        os.close(upper)
        for fd in lowers:
            os.close(fd)
    found.sort()
    return [{"Path": path, "Kind": kind} for path, kind in found]


class _Walk:
    def __init__(self, found: list[tuple[str, int]]) -> None:
        self.found = found

    def dir(self, ufd: int, lowers: list[int], prefix: str, *, opaque: bool) -> bool:
        """Record the changes in upper directory `ufd`, whose image version is the merge of
        `lowers` (nearest first); returns whether there were any."""
        names = sorted(os.listdir(ufd))
        changed = False
        for name in names:
            path = f"{prefix}/{name}"
            new = os.stat(name, dir_fd=ufd, follow_symlinks=False)
            if _is_whiteout(new):
                if _image_entry(lowers, name) is not None:
                    self.found.append((path, KIND_DELETE))
                    changed = True
                continue
            changed |= self.entry(ufd, lowers, name, path, new)
        if opaque:  # the image's entries the upper dir does not show are gone
            hidden: set[str] = set()
            for fd in lowers:
                hidden.update(os.listdir(fd))
            for name in sorted(hidden.difference(names)):
                if _image_entry(lowers, name) is not None:
                    self.found.append((f"{prefix}/{name}", KIND_DELETE))
                    changed = True
        return changed

    def entry(self, ufd: int, lowers: list[int], name: str, path: str, new: os.stat_result) -> bool:
        old = _image_entry(lowers, name)
        mark = len(self.found)
        if old is None:
            self.found.append((path, KIND_ADD))
        elif _differs(old[0], new, old[1], _capability(ufd, name)):
            self.found.append((path, KIND_MODIFY))
        own = len(self.found) > mark
        if not stat.S_ISDIR(new.st_mode):
            return own
        below = (
            _image_dirs(lowers, name) if old is not None and stat.S_ISDIR(old[0].st_mode) else []
        )
        try:
            child = os.open(name, _DIR, dir_fd=ufd)
            try:
                inside = self.dir(child, below, path, opaque=_is_opaque(child))
            finally:
                os.close(child)
        finally:
            for fd in below:
                os.close(fd)
        if inside and not own:
            self.found.insert(mark, (path, KIND_MODIFY))
        return own or inside


def _image_entry(lowers: list[int], name: str) -> tuple[os.stat_result, bytes | None] | None:
    """The lstat and security.capability of `name` as the merged lower layers show it."""
    for fd in lowers:
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if _is_whiteout(st):
            return None
        return st, _capability(fd, name)
    return None


def _image_dirs(lowers: list[int], name: str) -> list[int]:
    """Descriptors of the lower layers' directories `name` that overlayfs merges: from the
    nearest one down, until a layer has something else there or the directory is opaque."""
    fds: list[int] = []
    try:
        for fd in lowers:
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                break
            child = os.open(name, _DIR, dir_fd=fd)
            fds.append(child)
            if _is_opaque(child):
                break
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _differs(
    old: os.stat_result, new: os.stat_result, old_cap: bytes | None, new_cap: bytes | None
) -> bool:
    """go-archive's statDifferent, plus the capability comparison of addChanges."""
    ids = (old.st_mode, old.st_uid, old.st_gid, old.st_rdev)
    if ids != (new.st_mode, new.st_uid, new.st_gid, new.st_rdev):
        return True
    # Not a directory's size or mtime: they change with any entry inside (moby#9874).
    content = old.st_size != new.st_size or not _same_time(old.st_mtime_ns, new.st_mtime_ns)
    if content and not stat.S_ISDIR(old.st_mode):
        return True
    return old_cap != new_cap


def _same_time(a: int, b: int) -> bool:
    return a == b or (a // _NS == b // _NS and (a % _NS == 0 or b % _NS == 0))


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(fd: int) -> bool:
    """Whether directory `fd` carries overlayfs's opaque mark (trusted.*, or user.* for
    overlays mounted with userxattr)."""
    for key in _OPAQUE:
        try:
            if os.getxattr(fd, key) == b"y":
                return True
        except OSError as err:
            if err.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EPERM):
                raise
    return False


def _capability(fd: int, name: str) -> bytes | None:
    try:
        return os.getxattr(
            f"/proc/self/fd/{fd}/{name}", "security.capability", follow_symlinks=False
        )
    except OSError:
        return None
