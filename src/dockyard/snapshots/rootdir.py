"""Directories below a root, reached without following symlinks (openat with O_NOFOLLOW).

Layer extraction and diffs work below a snapshot directory that a layer or a container
filled: any name in it may be a symlink to anywhere. Resolving paths one component at a time
from a descriptor of the root, refusing symlinks, is what keeps every write and read inside
(the openat-walking that containerd's fs.RootPath and runc's securejoin do, without
following even in-root links). Descriptors are cached, since consecutive layer entries
mostly share their parent.
"""

from __future__ import annotations

import errno
import os
import stat

from dockyard import errdefs

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class RootDir:
    """Descriptors of directories below `top`, each opened from its parent's descriptor with
    O_NOFOLLOW: a symlink in a parent position is an error (InvalidArgument naming `entry`),
    never a way out. Paths are cleaned and relative ("" is `top`)."""

    _MAX_CACHED = 256  # well below the default 1024 open files

    def __init__(self, top: str) -> None:
        self.fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._fds: dict[str, int] = {}
        # Directories whose new files take the directory's group (S_ISGID), not ours.
        self.setgid: set[int] = set()
        self._note_setgid(self.fd)

    def close(self) -> None:
        self.forget()
        os.close(self.fd)

    def forget(self) -> None:
        """Drop every cached descriptor."""
        for fd in self._fds.values():
            self.setgid.discard(fd)
            os.close(fd)
        self._fds.clear()

    def trim(self) -> None:
        """Bound the cache; called between entries only, so that no descriptor an entry's
        code holds is ever closed under it (and its number reused)."""
        if len(self._fds) >= self._MAX_CACHED:
            self.forget()

    def forget_removed(self) -> None:
        """Drop cached descriptors of directories that were removed (st_nlink 0 once gone)."""
        for path, fd in list(self._fds.items()):
            if os.fstat(fd).st_nlink == 0:
                del self._fds[path]
                self.setgid.discard(fd)
                os.close(fd)

    def _note_setgid(self, fd: int) -> None:
        if os.fstat(fd).st_mode & stat.S_ISGID:
            self.setgid.add(fd)

    def dir(self, path: str, entry: str) -> int:
        """The directory `path` (cleaned, relative), made 0755 where missing as Docker does."""
        fd = self._walk(path, entry, create=True)
        assert fd is not None
        return fd

    def find(self, path: str, entry: str) -> int | None:
        """The directory `path`, or None when some component does not exist."""
        return self._walk(path, entry, create=False)

    def _walk(self, path: str, entry: str, *, create: bool) -> int | None:
        if not path:
            return self.fd
        fd = self._fds.get(path)
        if fd is not None:
            return fd
        parts = path.split("/")
        start = len(parts) - 1
        while start and "/".join(parts[:start]) not in self._fds:
            start -= 1
        fd = self._fds["/".join(parts[:start])] if start else self.fd
        for i in range(start, len(parts)):
            sub = "/".join(parts[: i + 1])
            opened = self._open(fd, parts[i], sub, entry, create=create)
            if opened is None:
                return None
            self._note_setgid(opened)
            self._fds[sub] = fd = opened
        return fd

    @staticmethod
    def _open(parent: int, name: str, sub: str, entry: str, *, create: bool) -> int | None:
        try:
            return os.open(name, DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            os.mkdir(name, 0o755, dir_fd=parent)
            return os.open(name, DIR_FLAGS, dir_fd=parent)
        except OSError as err:
            if err.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            st = os.stat(name, dir_fd=parent, follow_symlinks=False)
            what = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a directory"
            raise errdefs.InvalidArgument(
                f'layer entry "{entry}": parent "{sub}" is {what}; refusing to extract through it'
            ) from err
