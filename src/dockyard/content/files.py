"""Small crash-safe file operations the local content store is built from."""

from __future__ import annotations

import errno
import os


def write_atomic(
    path: str, data: bytes, *, durable: bool = True, mode: int = 0o644, tmp: str = ""
) -> None:
    """Write a small file so that readers see the old or the new content; `durable` also
    makes it survive a crash (fsync of the file and of its directory). `tmp` names the
    temporary file (default: beside `path`; it must be on the same filesystem)."""
    tmp = tmp or f"{path}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise
    if durable:
        fsync_dir(os.path.dirname(path))


def fsync_dir(path: str) -> None:
    """Make a rename or unlink in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_text(path: str) -> str | None:
    """A small file's text, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


def listdir(path: str) -> list[str]:
    """The names in a directory; none when it does not exist."""
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def unlink_quietly(path: str) -> None:
    """Remove a file that may already be gone."""
    try:
        os.unlink(path)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise
