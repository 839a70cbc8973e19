"""LocalStore: the content store on a local filesystem (data-root/content, DESIGN.md §3).

    root/blobs/sha256/<hex>           committed, verified, read-only blobs
    root/labels/sha256/<hex>          a blob's labels as JSON (GC roots), beside, not inside
    root/ingest/<sha256(ref)>/        one ingest: data, ref, lock, expected, total, startedat

A writer hashes as it writes, so commit never re-reads a blob; commit checks size and digest,
fsyncs the data, renames it into blobs/ and fsyncs the directory, so a blob appears whole or
not at all, and only once verified. The ingest directory is named by the sha256 of its ref,
so a ref is never a path; digests are checked (digest.check_sha256) before they name a file.

One writer per ref: `flock` on ingest/<key>/lock, which excludes other processes and other
threads alike (each writer opens its own file description). A committing or aborting writer
removes the lock file while holding it; a waiter that then wins the old, unlinked lock sees
that the path no longer names its inode and starts over on the new one.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from typing import TYPE_CHECKING, BinaryIO

from dockyard import errdefs
from dockyard.content.digest import check_sha256, sha256_of
from dockyard.content.files import listdir, read_text, unlink_quietly, write_atomic
from dockyard.content.store import Info, Status, Store
from dockyard.content.writer import LocalWriter, remove_ingest
from dockyard.utils import jsonfast

log = logging.getLogger(__name__)

_PUT_PREFIX = ".put-"
_PUT_STALE_AFTER = 600.0  # seconds; a put writes a small blob in one go, far quicker
_POLL_MAX = 0.05  # seconds between lock attempts while waiting with a timeout


class LocalStore:
    """A content.store.Store on the local filesystem; safe across threads and processes."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._blobs = os.path.join(self.root, "blobs", "sha256")
        self._labels = os.path.join(self.root, "labels", "sha256")
        self._ingest = os.path.join(self.root, "ingest")
        for path in (self._blobs, self._labels, self._ingest):
            os.makedirs(path, mode=0o755, exist_ok=True)
        self._tidy()

    # -- committed blobs -------------------------------------------------------------------

    def info(self, digest: str) -> Info:
        hex_ = check_sha256(digest)
        try:
            st = os.stat(self._blob(hex_))
        except FileNotFoundError:
            raise errdefs.NotFound(f"content {digest}: not found") from None
        return Info(digest, st.st_size, st.st_mtime, self._read_labels(hex_))

    def exists(self, digest: str) -> bool:
        return os.path.exists(self._blob(check_sha256(digest)))

    def path(self, digest: str) -> str:
        path = self._blob(check_sha256(digest))
        if not os.path.exists(path):
            raise errdefs.NotFound(f"content {digest}: not found")
        return path

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self._blob(check_sha256(digest)), "rb")  # the caller closes it
        except FileNotFoundError:
            raise errdefs.NotFound(f"content {digest}: not found") from None

    def read(self, digest: str) -> bytes:
        with self.open(digest) as f:
            return f.read()

    def put(self, data: bytes, *, expected: str | None = None) -> str:
        digest = sha256_of(data)
        if expected is not None:
            check_sha256(expected)
            if digest != expected:
                raise errdefs.InvalidArgument(f"digest mismatch: expected {expected}, got {digest}")
        target = self._blob(digest[7:])
        if os.path.exists(target):
            return digest
        # Write beside the ingests (same filesystem, so the rename is atomic), never in blobs/.
        tmp = os.path.join(self._ingest, f"{_PUT_PREFIX}{os.urandom(8).hex()}")
        write_atomic(target, data, mode=0o444, tmp=tmp)
        return digest

    def delete(self, digest: str) -> None:
        hex_ = check_sha256(digest)
        try:
            os.unlink(self._blob(hex_))
        except FileNotFoundError:
            raise errdefs.NotFound(f"content {digest}: not found") from None
        unlink_quietly(os.path.join(self._labels, hex_))

    def walk(self) -> list[Info]:
        labelled = set(listdir(self._labels))
        infos = []
        for name in listdir(self._blobs):
            digest = "sha256:" + name
            try:
                check_sha256(digest)
                st = os.stat(os.path.join(self._blobs, name))
            except (errdefs.InvalidArgument, FileNotFoundError):
                continue  # not a blob, or deleted while we walked
            labels = self._read_labels(name) if name in labelled else {}
            infos.append(Info(digest, st.st_size, st.st_mtime, labels))
        return infos

    def set_labels(self, digest: str, labels: dict[str, str]) -> None:
        hex_ = check_sha256(digest)
        for key, value in labels.items():
            if not isinstance(key, str) or not isinstance(value, str) or not key:
                raise errdefs.InvalidArgument(f"invalid label {key!r}={value!r} for {digest}")
        if not os.path.exists(self._blob(hex_)):
            raise errdefs.NotFound(f"content {digest}: not found")
        path = os.path.join(self._labels, hex_)
        if not labels:
            unlink_quietly(path)
            return
        write_atomic(path, jsonfast.dumps(dict(sorted(labels.items()))).encode())
        if not os.path.exists(self._blob(hex_)):  # deleted meanwhile: leave no orphan
            unlink_quietly(path)
            raise errdefs.NotFound(f"content {digest}: not found")

    # -- ingests ---------------------------------------------------------------------------

    def writer(
        self,
        ref: str,
        *,
        expected: str | None = None,
        size: int | None = None,
        timeout: float | None = None,
    ) -> LocalWriter:
        if not ref:
            raise errdefs.InvalidArgument("ingest ref must not be empty")
        if expected is not None:
            check_sha256(expected)
        if size is not None and size < 0:
            raise errdefs.InvalidArgument(f"invalid size {size} for ingest {ref}")
        if expected is not None and self.exists(expected):
            raise errdefs.AlreadyExists(f"content {expected}: already exists")
        directory = self._ingest_dir(ref)
        lock_fd = self._lock(ref, directory, timeout)
        try:
            # Checked again under the lock: the writer we waited for may have committed it.
            if expected is not None and self.exists(expected):
                remove_ingest(directory)  # any partial data under this ref is of no more use
                raise errdefs.AlreadyExists(f"content {expected}: already exists")
            return LocalWriter(
                ref=ref,
                directory=directory,
                blobs=self._blobs,
                lock_fd=lock_fd,
                expected=expected,
                size=size,
            )
        except BaseException:
            os.close(lock_fd)
            raise

    def abort(self, ref: str) -> None:
        directory = self._ingest_dir(ref)
        if not os.path.isdir(directory):
            raise errdefs.NotFound(f"ingest {ref}: not found")
        lock_fd = self._lock(ref, directory, 0.0)
        try:
            remove_ingest(directory)
        finally:
            os.close(lock_fd)

    def ingests(self) -> list[str]:
        refs = []
        for name in listdir(self._ingest):
            if name.startswith("."):
                continue  # a put in flight
            ref = read_text(os.path.join(self._ingest, name, "ref"))
            if ref is not None:
                refs.append(ref)
        return refs

    def status(self, ref: str) -> Status:
        directory = self._ingest_dir(ref)
        try:
            st = os.stat(os.path.join(directory, "data"))
        except FileNotFoundError:
            raise errdefs.NotFound(f"ingest {ref}: not found") from None
        total = read_text(os.path.join(directory, "total"))
        started = read_text(os.path.join(directory, "startedat"))
        return Status(
            ref=ref,
            offset=st.st_size,
            total=int(total) if total and total.isdigit() else None,
            expected=read_text(os.path.join(directory, "expected")) or None,
            started_at=float(started) if started else st.st_mtime,
            updated_at=st.st_mtime,
        )

    # -- internals -------------------------------------------------------------------------

    def _blob(self, hex_: str) -> str:
        return os.path.join(self._blobs, hex_)

    def _ingest_dir(self, ref: str) -> str:
        key = hashlib.sha256(ref.encode("utf-8", "surrogateescape")).hexdigest()
        return os.path.join(self._ingest, key)

    def _read_labels(self, hex_: str) -> dict[str, str]:
        text = read_text(os.path.join(self._labels, hex_))
        if not text:
            return {}
        labels = jsonfast.loads(text)
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    def _lock(self, ref: str, directory: str, timeout: float | None) -> int:
        """Hold ingest `ref`'s lock: an fd on directory/lock, flocked, still linked there."""
        deadline = None if timeout is None else time.monotonic() + timeout
        lock_path = os.path.join(directory, "lock")
        while True:
            try:
                os.mkdir(directory, 0o700)
            except FileExistsError:
                pass
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except FileNotFoundError:
                continue  # the directory went between mkdir and open: its writer committed
            try:
                _flock(fd, deadline, ref, timeout)
                held = os.fstat(fd)
                try:
                    current = os.stat(lock_path)
                except FileNotFoundError:
                    current = None
                if current is not None and (current.st_ino, current.st_dev) == (
                    held.st_ino,
                    held.st_dev,
                ):
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # we won a lock file its owner had already removed: start over

    def _tidy(self) -> None:
        """Remove what a crash can leave that no ref leads to: temporary files of puts, and
        ingests whose writer died before recording its ref."""
        now = time.time()
        for name in listdir(self._ingest):
            path = os.path.join(self._ingest, name)
            try:
                if name.startswith(_PUT_PREFIX):
                    if now - os.stat(path).st_mtime > _PUT_STALE_AFTER:
                        os.unlink(path)
                elif os.path.isdir(path) and not os.path.exists(os.path.join(path, "ref")):
                    lock_fd = self._lock(name, path, 0.0)
                    try:
                        if not os.path.exists(os.path.join(path, "ref")):
                            remove_ingest(path)
                    finally:
                        os.close(lock_fd)
            except (FileNotFoundError, errdefs.Unavailable):
                continue  # gone meanwhile, or a writer is setting it up right now


def _flock(fd: int, deadline: float | None, ref: str, timeout: float | None) -> None:
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without holding the GIL
        return
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise errdefs.Unavailable(
                    f"ingest {ref}: locked by another writer (waited {timeout:g}s)"
                ) from None
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, _POLL_MAX)


if TYPE_CHECKING:
    _conforms: type[Store] = LocalStore  # mypy checks LocalStore against the Protocol here
