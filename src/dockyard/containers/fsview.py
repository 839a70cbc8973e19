"""A container's filesystem seen from the host as the container sees it (moby's containerFSView).

Paths are resolved inside the rootfs as the kernel resolves them in a container chrooted there
(what Docker gets by running `docker cp` in the container's filesystem): symlinks, absolute or
not, are followed relative to the rootfs, `..` stops at its top; the last component is not
followed (lstat) unless the path ends in "/" or "/.". Every file is then reached by openat()
with O_NOFOLLOW from a descriptor of the rootfs, so a running container swapping a directory
for a symlink mid-way makes the operation fail, never escape. Go's path.Clean and path.Base
live here too: go-archive names entries and destinations with them.
"""

from __future__ import annotations

import errno
import os
import stat as st_

from dockyard import errdefs

__all__ = [
    "OPEN_DIR",
    "FSView",
    "go_base",
    "go_clean",
    "go_error",
    "not_found",
    "preserve_trailing",
]

OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_PATH = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_LINKS = 40  # Linux's MAXSYMLINKS
_IMPLIED_DIR_MODE = 0o755  # go-archive's ImpliedDirectoryMode


def go_clean(path: str) -> str:
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


def go_base(path: str) -> str:
    """Go's path.Base."""
    if not path:
        return "."
    path = path.rstrip("/")
    return path.rpartition("/")[2] if path else "/"


def preserve_trailing(cleaned: str, original: str) -> str:
    """go-archive's PreserveTrailingDotOrSeparator: "a/." and "a/" keep their meaning."""
    if go_base(cleaned) != "." and go_base(original) == ".":
        cleaned += ("" if cleaned.endswith("/") else "/") + "."
    if not cleaned.endswith("/") and original.endswith("/"):
        cleaned += "/"
    return cleaned


def not_found(path: str, container_name: str) -> errdefs.NotFound:
    return errdefs.NotFound(f"Could not find the file {path} in container {container_name}")


class FSView:
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
                    child = os.open(part, OPEN_DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, _IMPLIED_DIR_MODE, dir_fd=fd)
                    child = os.open(part, OPEN_DIR, dir_fd=fd)
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


def go_error(err: OSError) -> str:
    """An errno's text as Go prints it ("not a directory")."""
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
