"""Writing a log file, rotated by size as moby's loggerutils.LogFile does.

Before a write, when the file has reached max-size, `<path>.(N-1)` is removed, `<path>.i`
moves to `<path>.(i+1)`, `<path>` becomes `<path>.1` and a new `<path>` starts (with max-file
1 the file is unlinked and started again). Readers (reader.py) find the history as
`<path>.K ... <path>.1, <path>`, oldest first.
"""

from __future__ import annotations

import os


class RotatingFile:
    """The file a log writer appends to, rotated by size as moby's LogFile does."""

    def __init__(self, path: str, *, max_size: int = -1, max_files: int = 1) -> None:
        self.path = path
        self.max_size = max_size  # -1: never rotate
        self.max_files = max_files
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        self._fd = self._open(os.O_APPEND)
        self.size = os.lseek(self._fd, 0, os.SEEK_END)

    def _open(self, extra: int) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | extra, 0o640)

    def write(self, data: bytes) -> None:
        if self.max_size != -1 and self.size >= self.max_size:
            self._rotate()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self.size += len(data)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self.max_files < 2:
            _unlink(self.path)
        else:
            _unlink(f"{self.path}.{self.max_files - 1}")
            for i in range(self.max_files - 1, 1, -1):
                _rename(f"{self.path}.{i - 1}", f"{self.path}.{i}")
            _rename(self.path, f"{self.path}.1")
        self._fd = self._open(os.O_APPEND | os.O_TRUNC)
        self.size = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _rename(src: str, dst: str) -> None:
    try:
        os.rename(src, dst)
    except FileNotFoundError:
        pass
