"""Test doubles for the image service's collaborators, implementing their Protocols.

`MemoryContent` is a content.store.Store in a dict (digests verified as the real one does);
`DirSnapshotter` is a snapshots Snapshotter over plain directories with overlay's shape: an
active snapshot's upper dir starts empty and holds only its layer's files, `lower_dirs` names
the parents, `usage` counts a snapshot's own directory. Nothing is mounted.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import time
from pathlib import Path
from typing import BinaryIO

from dockyard import errdefs
from dockyard.content.digest import check_sha256, sha256_of
from dockyard.content.store import Info, Status
from dockyard.snapshots.snapshotter import Info as SnapshotInfo
from dockyard.snapshots.snapshotter import Kind, Mount, Usage


class MemoryWriter:
    def __init__(self, store: MemoryContent, ref: str, expected: str | None, size: int | None):
        self._store = store
        self.ref = ref
        self._expected = expected
        self._size = size
        self._data = bytearray(store.partial.get(ref, b""))
        self._done = False

    @property
    def offset(self) -> int:
        return len(self._data)

    def write(self, data: bytes) -> None:
        self._data += data

    def truncate(self, size: int) -> None:
        del self._data[size:]

    def commit(self, *, expected: str | None = None, size: int | None = None) -> str:
        data = bytes(self._data)
        digest = sha256_of(data)
        want = expected or self._expected
        want_size = size if size is not None else self._size
        self._done = True
        self._store.partial.pop(self.ref, None)
        if (want is not None and want != digest) or (
            want_size is not None and want_size != len(data)
        ):
            raise errdefs.InvalidArgument(f"digest mismatch: expected {want}, got {digest}")
        self._store.blobs.setdefault(digest, (data, time.time()))
        return digest

    def close(self) -> None:
        if not self._done:
            self._store.partial[self.ref] = bytes(self._data)
            self._done = True

    def __enter__(self) -> MemoryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class MemoryContent:
    """A content Store in memory."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, float]] = {}
        self.partial: dict[str, bytes] = {}
        self.labels: dict[str, dict[str, str]] = {}

    def info(self, digest: str) -> Info:
        check_sha256(digest)
        if digest not in self.blobs:
            raise errdefs.NotFound(f"content {digest}: not found")
        data, created = self.blobs[digest]
        return Info(digest, len(data), created, dict(self.labels.get(digest, {})))

    def exists(self, digest: str) -> bool:
        check_sha256(digest)
        return digest in self.blobs

    def path(self, digest: str) -> str:
        raise errdefs.Unimplemented("MemoryContent has no files")

    def open(self, digest: str) -> BinaryIO:
        return io.BytesIO(self.read(digest))

    def read(self, digest: str) -> bytes:
        return self.blobs[self.info(digest).digest][0]

    def put(self, data: bytes, *, expected: str | None = None) -> str:
        digest = sha256_of(data)
        if expected is not None and expected != digest:
            raise errdefs.InvalidArgument(f"digest mismatch: expected {expected}, got {digest}")
        self.blobs.setdefault(digest, (data, time.time()))
        return digest

    def writer(
        self,
        ref: str,
        *,
        expected: str | None = None,
        size: int | None = None,
        timeout: float | None = None,
    ) -> MemoryWriter:
        if expected is not None and expected in self.blobs:
            raise errdefs.AlreadyExists(f"content {expected}: already exists")
        return MemoryWriter(self, ref, expected, size)

    def abort(self, ref: str) -> None:
        if self.partial.pop(ref, None) is None:
            raise errdefs.NotFound(f"ingest {ref}: not found")

    def ingests(self) -> list[str]:
        return list(self.partial)

    def status(self, ref: str) -> Status:
        if ref not in self.partial:
            raise errdefs.NotFound(f"ingest {ref}: not found")
        return Status(ref, len(self.partial[ref]), None, None, 0.0, 0.0)

    def delete(self, digest: str) -> None:
        check_sha256(digest)
        if self.blobs.pop(digest, None) is None:
            raise errdefs.NotFound(f"content {digest}: not found")

    def walk(self) -> list[Info]:
        return [self.info(d) for d in list(self.blobs)]

    def set_labels(self, digest: str, labels: dict[str, str]) -> None:
        self.info(digest)
        self.labels[digest] = dict(labels)


class DirSnapshotter:
    """A Snapshotter over directories: root/<n>/fs per snapshot, nothing mounted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._info: dict[str, SnapshotInfo] = {}
        self._dirs: dict[str, Path] = {}
        self._lock = threading.Lock()

    def _new(self, key: str, kind: str, parent: str, labels: dict[str, str] | None) -> None:
        with self._lock:
            if key in self._info:
                raise errdefs.AlreadyExists(f"snapshot {key}: already exists")
            if parent and (parent not in self._info or self._info[parent].kind != Kind.COMMITTED):
                raise errdefs.NotFound(f"parent snapshot {parent}: not found")
            directory = self.root / hashlib.sha256(key.encode()).hexdigest()[:16] / "fs"
            directory.mkdir(parents=True)
            self._info[key] = SnapshotInfo(key, kind, parent, time.time(), dict(labels or {}))
            self._dirs[key] = directory

    def prepare(
        self, key: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> list[Mount]:
        self._new(key, Kind.ACTIVE, parent, labels)
        return self.mounts(key)

    def view(self, key: str, parent: str = "") -> list[Mount]:
        self._new(key, Kind.VIEW, parent, None)
        return self.mounts(key)

    def mounts(self, key: str) -> list[Mount]:
        return [Mount("bind", str(self._dir(key)), ("rbind", "rw"))]

    def commit(self, name: str, key: str, *, parent: str | None = None) -> None:
        with self._lock:
            info = self._get(key)
            if info.kind != Kind.ACTIVE:
                raise errdefs.FailedPrecondition(f"snapshot {key} is not active")
            if name in self._info:
                raise errdefs.AlreadyExists(f"snapshot {name}: already exists")
            del self._info[key]
            self._info[name] = SnapshotInfo(
                name, Kind.COMMITTED, info.parent if parent is None else parent,
                time.time(), info.labels,
            )  # fmt: skip
            self._dirs[name] = self._dirs.pop(key)

    def remove(self, key: str) -> None:
        with self._lock:
            self._get(key)
            if any(i.parent == key for i in self._info.values()):
                raise errdefs.Conflict(f"snapshot {key} has children")
            del self._info[key]
            shutil.rmtree(self._dirs.pop(key).parent)

    def stat(self, key: str) -> SnapshotInfo:
        with self._lock:
            return self._get(key)

    def usage(self, key: str) -> Usage:
        directory = self._dir(key)
        size = inodes = 0
        for base, dirs, files in os.walk(directory):
            for name in dirs + files:
                st = os.lstat(os.path.join(base, name))
                inodes += 1
                if not os.path.isdir(os.path.join(base, name)):
                    size += st.st_size
        return Usage(size, inodes)

    def walk(self) -> list[SnapshotInfo]:
        with self._lock:
            return list(self._info.values())

    def upper_dir(self, key: str) -> str:
        return str(self._dir(key))

    def lower_dirs(self, key: str) -> list[str]:
        out = []
        with self._lock:
            parent = self._get(key).parent
            while parent:
                out.append(str(self._dirs[parent]))
                parent = self._info[parent].parent
        return out

    def _get(self, key: str) -> SnapshotInfo:
        if key not in self._info:
            raise errdefs.NotFound(f"snapshot {key}: not found")
        return self._info[key]

    def _dir(self, key: str) -> Path:
        with self._lock:
            self._get(key)
            return self._dirs[key]
