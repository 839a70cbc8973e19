"""LocalWriter: one ingest of the local content store, hashed as it is written.

The ingest lives in its own directory (see local.py) and this writer holds its lock from
construction to commit or close. State on disk is only the partial data plus what the writer
was told (ref, expected, total, startedat); hashlib cannot export a hash's state, so a resumed
writer re-reads the partial data once to rebuild it, and after that nothing is read twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import weakref
from typing import BinaryIO

from dockyard import errdefs
from dockyard.content.digest import check_sha256, is_sha256
from dockyard.content.files import fsync_dir, listdir, read_text, unlink_quietly, write_atomic

log = logging.getLogger(__name__)

WRITE_BUFFER = 1 << 20  # bytes: few syscalls for the 16-64 KiB chunks a download delivers
_REHASH_CHUNK = 4 << 20


class LocalWriter:
    """An open ingest (content.store.Writer). Not thread-safe; close or commit it."""

    def __init__(
        self,
        *,
        ref: str,
        directory: str,
        blobs: str,
        lock_fd: int,
        expected: str | None,
        size: int | None,
    ) -> None:
        self._ref = ref
        self._dir = directory
        self._blobs = blobs
        self._data_path = os.path.join(directory, "data")
        self._done = False
        expected, size, stale = self._record_intent(expected, size)
        self._expected = expected
        self._size = size
        fd = os.open(self._data_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            offset = os.fstat(fd).st_size
            if stale or (size is not None and offset > size):
                os.ftruncate(fd, 0)  # partial data of some other content: start over
                offset = 0
            self._hash = _rehash(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
            self._file: BinaryIO = open(fd, "wb", buffering=WRITE_BUFFER)  # noqa: SIM115
        except BaseException:
            os.close(fd)
            raise
        self._offset = offset
        # Releases the lock even if the caller drops the writer without closing it.
        self._release = weakref.finalize(self, _release, self._file, lock_fd)

    @property
    def ref(self) -> str:
        return self._ref

    @property
    def offset(self) -> int:
        return self._offset

    def write(self, data: bytes) -> None:
        self._check_open()
        end = self._offset + len(data)
        if self._size is not None and end > self._size:
            self._discard()
            raise errdefs.InvalidArgument(
                f"ingest {self._ref}: {end} bytes written, more than the expected {self._size}"
            )
        try:
            self._file.write(data)
        except BaseException:
            self.close()  # the data on disk stays consistent: a resume re-hashes it
            raise
        self._hash.update(data)
        self._offset = end

    def truncate(self, size: int) -> None:
        self._check_open()
        if size < 0 or size > self._offset:
            raise errdefs.InvalidArgument(
                f"ingest {self._ref}: cannot truncate {self._offset} bytes to {size}"
            )
        if size == self._offset:
            return
        self._file.flush()
        fd = self._file.fileno()
        os.ftruncate(fd, size)
        self._hash = _rehash(fd, size)
        self._file.seek(size)
        self._offset = size

    def commit(self, *, expected: str | None = None, size: int | None = None) -> str:
        self._check_open()
        expected = expected if expected is not None else self._expected
        if expected is not None:
            check_sha256(expected)
        size = size if size is not None else self._size
        digest = "sha256:" + self._hash.hexdigest()
        if size is not None and self._offset != size:
            self._discard()
            raise errdefs.InvalidArgument(
                f"size mismatch for {expected or self._ref}: expected {size} bytes,"
                f" got {self._offset}"
            )
        if expected is not None and digest != expected:
            self._discard()
            raise errdefs.InvalidArgument(f"digest mismatch: expected {expected}, got {digest}")
        target = os.path.join(self._blobs, digest[7:])
        if os.path.exists(target):
            self._discard()  # committed meanwhile by a writer under another ref
            return digest
        try:
            self._file.flush()
            fd = self._file.fileno()
            os.fsync(fd)
            os.fchmod(fd, 0o444)
            os.utime(fd)  # the blob's mtime is its commit time (Info.created_at)
            os.rename(self._data_path, target)
            fsync_dir(self._blobs)
        except BaseException:
            self.close()
            raise
        self._discard()
        return digest

    def close(self) -> None:
        """Release the ref; partial data stays for a later writer to resume."""
        self._done = True
        self._release()

    def __enter__(self) -> LocalWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._done:
            raise errdefs.FailedPrecondition(f"ingest {self._ref}: writer is closed")

    def _discard(self) -> None:
        """Drop the whole ingest (still holding its lock), then release the lock."""
        self._done = True
        try:
            remove_ingest(self._dir)
        finally:
            self._release()

    def _record_intent(
        self, expected: str | None, size: int | None
    ) -> tuple[str | None, int | None, bool]:
        """Write ref/expected/total/startedat; return the effective expectations and
        whether the partial data on disk was meant for other content."""
        old_expected = read_text(os.path.join(self._dir, "expected")) or None
        old_total = read_text(os.path.join(self._dir, "total")) or None
        stale = (expected is not None and old_expected not in (None, expected)) or (
            size is not None and old_total not in (None, str(size))
        )
        if stale or read_text(os.path.join(self._dir, "ref")) is None:
            self._note("startedat", repr(time.time()))
            self._note("ref", self._ref)
        if stale:  # what the earlier writer was told is about other content
            for name, value in (("expected", expected), ("total", size)):
                if value is None:
                    unlink_quietly(os.path.join(self._dir, name))
        if expected is not None and expected != old_expected:
            self._note("expected", expected)
        if size is not None and str(size) != old_total:
            self._note("total", str(size))
        if not stale:  # a writer told nothing resumes with what the first one was told
            if expected is None and old_expected is not None:
                expected = old_expected if is_sha256(old_expected) else None
            if size is None and old_total is not None and old_total.isdigit():
                size = int(old_total)
        return expected, size, stale

    def _note(self, name: str, text: str) -> None:
        # Atomic for readers, but not fsync'd: these only steer a resume, and a resume
        # re-verifies everything (one fsync each would slow every small blob's ingest).
        path = os.path.join(self._dir, name)
        write_atomic(path, text.encode("utf-8", "surrogateescape"), durable=False)


def remove_ingest(directory: str) -> None:
    """Delete an ingest directory whose lock the caller holds. The lock file goes last, so
    a new writer can only start once the rest is gone; the directory itself only if no new
    writer has moved in meanwhile."""
    for name in listdir(directory):
        if name != "lock":
            unlink_quietly(os.path.join(directory, name))
    unlink_quietly(os.path.join(directory, "lock"))
    try:
        os.rmdir(directory)
    except FileNotFoundError:
        pass
    except OSError as err:
        log.debug("ingest %s reused while being removed: %s", directory, err)


def _rehash(fd: int, length: int) -> hashlib._Hash:
    """The sha256 of the first `length` bytes of fd (a resumed ingest's partial data)."""
    digest = hashlib.sha256()
    position = 0
    while position < length:
        chunk = os.pread(fd, min(_REHASH_CHUNK, length - position), position)
        if not chunk:
            raise errdefs.Unknown(f"partial data shrank while re-hashing {fd}")
        digest.update(chunk)
        position += len(chunk)
    return digest


def _release(file: BinaryIO, lock_fd: int) -> None:
    try:
        file.close()  # flushes what the buffer still holds
    except OSError as err:
        log.warning("failed to flush ingest data: %s", err)
    finally:
        os.close(lock_fd)
