"""The content store interface: immutable blobs named by their digest.

Lifecycle (containerd's content.Store, synchronous here; the daemon calls it from threads):

    w = store.writer(ref="sha256:ab...", expected="sha256:ab...", size=123)
    w.offset                    # bytes already ingested by an earlier, interrupted writer:
                                # a download resumes from here (HTTP Range)
    w.write(chunk) ...          # streamed; nothing is visible yet
    digest = w.commit()         # digest and size verified, fsync'd, renamed into place;
                                # a mismatch raises InvalidArgument and drops the partial data
    store.open(digest) / store.path(digest) / store.info(digest)
    store.delete(digest)        # by the garbage collector, once nothing refers to it

A blob is visible only after its digest is verified (DESIGN.md §3). Only one writer holds a
ref at a time: a second writer for the same ref waits for the first (one download when two
pulls want the same blob) and then finds the blob committed: `writer(expected=...)` raises
AlreadyExists when that blob is already in the store, checked again once the ref's lock is
held, so the waiting pull skips its download. `writer(timeout=...)` bounds the wait
(Unavailable when it runs out).

    with store.writer(ref, expected=d, size=n) as w:   # the context closes (never commits)
        ...
        w.commit()

`status(ref)` describes an ingest (for resume, and for the garbage collector, which drops
ingests left untouched for too long through `abort`).
"""

from __future__ import annotations

from typing import BinaryIO, Protocol

from dockyard.utils.record import field, record


@record(frozen=True)
class Info:
    """A committed blob."""

    digest: str  # "sha256:<64 hex>"
    size: int
    created_at: float  # unix time of commit
    labels: dict[str, str] = field(default_factory=dict)


@record(frozen=True)
class Status:
    """An ingest in progress (or interrupted): what a resumed download needs to know."""

    ref: str
    offset: int  # bytes of partial data held
    total: int | None  # expected size, when the writer was told
    expected: str | None  # expected digest, when the writer was told
    started_at: float  # unix time the ingest began
    updated_at: float  # unix time of the last write


class Writer(Protocol):
    """An open ingest. Not thread-safe; one per ref at a time."""

    @property
    def offset(self) -> int:
        """Bytes already written (including those of an interrupted earlier writer)."""

    def write(self, data: bytes) -> None: ...

    def truncate(self, size: int) -> None:
        """Drop partial data past `size` (a server that ignored our Range restarts at 0)."""

    def commit(self, *, expected: str | None = None, size: int | None = None) -> str:
        """Verify and publish; return the digest. If the blob already exists, the ingest is
        dropped and its digest returned. InvalidArgument on a digest or size mismatch (and
        the partial data is removed, so nothing is left behind)."""

    def close(self) -> None:
        """Release the ref, keeping partial data for a later resume. A no-op after commit."""

    def __enter__(self) -> Writer: ...

    def __exit__(self, *exc_info: object) -> None:
        """close()."""


class Store(Protocol):
    """Committed blobs by digest, and the ingests that produce them. Thread-safe.

    Every digest argument must be "sha256:" + 64 lower-case hex (InvalidArgument otherwise).
    """

    def info(self, digest: str) -> Info:
        """NotFound when absent."""

    def exists(self, digest: str) -> bool: ...

    def path(self, digest: str) -> str:
        """Filesystem path of a committed blob (read-only; for unpacking without copies)."""

    def open(self, digest: str) -> BinaryIO: ...

    def read(self, digest: str) -> bytes: ...

    def put(self, data: bytes, *, expected: str | None = None) -> str:
        """Write a small blob (manifests, configs) in one go; returns its digest."""

    def writer(
        self,
        ref: str,
        *,
        expected: str | None = None,
        size: int | None = None,
        timeout: float | None = None,
    ) -> Writer:
        """Open (or resume) the ingest `ref`, waiting up to `timeout` seconds (None: for as
        long as it takes) while another writer holds it: Unavailable when the wait runs out,
        AlreadyExists when `expected` is committed already."""

    def abort(self, ref: str) -> None:
        """Drop an ingest's partial data. NotFound when there is no such ingest;
        Unavailable while a writer holds it."""

    def ingests(self) -> list[str]:
        """The refs of the ingests in progress or interrupted."""

    def status(self, ref: str) -> Status:
        """NotFound when there is no such ingest."""

    def delete(self, digest: str) -> None:
        """Remove a blob; NotFound when absent."""

    def walk(self) -> list[Info]: ...

    def set_labels(self, digest: str, labels: dict[str, str]) -> None:
        """Replace a blob's labels (an empty dict removes them); NotFound when absent."""
