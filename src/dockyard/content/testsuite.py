"""The conformance suite every content Store implementation runs (containerd's testsuite).

Subclass it in a test module and give it a `store` fixture returning a fresh, empty store:

    class TestLocalStore(StoreSuite):
        @pytest.fixture
        def store(self, tmp_path): return LocalStore(str(tmp_path))

Everything here goes through the Protocol only; implementation details (files, layout,
cross-process locking) belong in the implementation's own tests.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.content.store import Store

BAD_DIGESTS = [
    "",
    "sha256",
    "sha256:",
    "sha256:../../etc/passwd",
    "sha256:../../../../etc",
    "sha256:" + "a" * 63,
    "sha256:" + "a" * 65,
    "sha256:" + "A" * 64,
    "sha256:" + "a" * 63 + "/",
    "sha512:" + "a" * 128,
    "md5:" + "a" * 32,
    "a" * 64,
    " sha256:" + "a" * 64,
    "sha256:" + "a" * 64 + "\n",
]

# Each entry calls one Store method with the bad digest `d` where a digest goes in.
DIGEST_TAKERS: list[tuple[str, Callable[[Store, str], Any]]] = [
    ("info", lambda s, d: s.info(d)),
    ("exists", lambda s, d: s.exists(d)),
    ("path", lambda s, d: s.path(d)),
    ("open", lambda s, d: s.open(d)),
    ("read", lambda s, d: s.read(d)),
    ("delete", lambda s, d: s.delete(d)),
    ("set_labels", lambda s, d: s.set_labels(d, {"a": "b"})),
    ("put", lambda s, d: s.put(b"x", expected=d)),
    ("writer", lambda s, d: s.writer("ref", expected=d)),
    ("commit", lambda s, d: s.writer("ref").commit(expected=d)),
]


def blob(size: int, seed: int = 0) -> tuple[bytes, str]:
    """Deterministic test content of `size` bytes and its digest."""
    block = hashlib.sha256(f"{seed}".encode()).digest() * 2048  # 64 KiB
    data = (block * (size // len(block) + 1))[:size]
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


class StoreSuite:
    """Behaviour every content.store.Store must show."""

    # -- put / read ------------------------------------------------------------------------

    def test_put_read_round_trip(self, store: Store) -> None:
        data, digest = blob(1000)
        assert store.put(data) == digest
        assert store.exists(digest)
        assert store.read(digest) == data
        with store.open(digest) as f:
            assert f.read() == data
        with open(store.path(digest), "rb") as f:
            assert f.read() == data
        info = store.info(digest)
        assert (info.digest, info.size, info.labels) == (digest, 1000, {})
        assert abs(info.created_at - time.time()) < 60

    def test_put_is_idempotent(self, store: Store) -> None:
        data, digest = blob(10)
        assert store.put(data, expected=digest) == digest
        assert store.put(data, expected=digest) == digest
        assert [i.digest for i in store.walk()] == [digest]

    def test_put_refuses_digest_mismatch_and_leaves_nothing(self, store: Store) -> None:
        data, _ = blob(10)
        _, other = blob(10, seed=1)
        with pytest.raises(errdefs.InvalidArgument, match="digest mismatch"):
            store.put(data, expected=other)
        assert store.walk() == [] and store.ingests() == []

    def test_empty_blob(self, store: Store) -> None:
        _, digest = blob(0)
        with store.writer("empty", expected=digest, size=0) as w:
            assert w.commit() == digest
        assert store.read(digest) == b""

    def test_absent_blob_is_not_found(self, store: Store) -> None:
        _, digest = blob(1)
        assert not store.exists(digest)
        for call in (store.info, store.path, store.open, store.read, store.delete):
            with pytest.raises(errdefs.NotFound):
                call(digest)
        with pytest.raises(errdefs.NotFound):
            store.set_labels(digest, {"a": "b"})

    @pytest.mark.parametrize("bad", BAD_DIGESTS)
    @pytest.mark.parametrize(("method", "call"), DIGEST_TAKERS, ids=[m for m, _ in DIGEST_TAKERS])
    def test_invalid_digest_is_refused(
        self, store: Store, method: str, call: Callable[[Store, str], Any], bad: str
    ) -> None:
        with pytest.raises(errdefs.InvalidArgument):
            call(store, bad)
        for ref in store.ingests():
            store.abort(ref)
        assert store.walk() == []

    # -- writers ---------------------------------------------------------------------------

    def test_commit_verifies_and_publishes(self, store: Store) -> None:
        data, digest = blob(300_000)
        w = store.writer("layer", expected=digest, size=len(data))
        assert w.offset == 0
        for i in range(0, len(data), 65536):
            w.write(data[i : i + 65536])
        assert w.offset == len(data)
        assert not store.exists(digest)  # invisible until verified
        assert store.ingests() == ["layer"]
        assert w.commit() == digest
        assert store.read(digest) == data
        assert store.ingests() == []
        w.close()  # harmless after commit

    def test_commit_without_expectations_returns_the_digest(self, store: Store) -> None:
        data, digest = blob(5000)
        with store.writer("anything") as w:
            w.write(data)
            assert w.commit() == digest

    def test_commit_rejects_digest_mismatch_and_leaves_nothing(self, store: Store) -> None:
        data, _ = blob(5000)
        _, wrong = blob(5000, seed=9)
        w = store.writer("bad", expected=wrong, size=len(data))
        w.write(data)
        with pytest.raises(errdefs.InvalidArgument, match=f"digest mismatch: expected {wrong}"):
            w.commit()
        assert store.walk() == [] and store.ingests() == []
        with pytest.raises(errdefs.NotFound):
            store.status("bad")

    def test_commit_rejects_size_mismatch_and_leaves_nothing(self, store: Store) -> None:
        data, digest = blob(5000)
        w = store.writer("short", expected=digest)
        w.write(data[:4000])
        with pytest.raises(errdefs.InvalidArgument, match="size mismatch"):
            w.commit(size=len(data))
        assert store.walk() == [] and store.ingests() == []

    def test_commit_expectations_given_at_commit(self, store: Store) -> None:
        data, digest = blob(100)
        w = store.writer("late")
        w.write(data)
        _, wrong = blob(100, seed=3)
        with pytest.raises(errdefs.InvalidArgument, match="digest mismatch"):
            w.commit(expected=wrong, size=100)
        w = store.writer("late")
        w.write(data)
        assert w.commit(expected=digest, size=100) == digest

    def test_write_beyond_expected_size_is_refused(self, store: Store) -> None:
        data, digest = blob(100)
        w = store.writer("big", expected=digest, size=50)
        with pytest.raises(errdefs.InvalidArgument, match="more than the expected"):
            w.write(data)
        assert store.ingests() == []

    def test_closed_writer_refuses_use(self, store: Store) -> None:
        w = store.writer("closed")
        w.close()
        w.close()
        with pytest.raises(errdefs.FailedPrecondition):
            w.write(b"x")
        with pytest.raises(errdefs.FailedPrecondition):
            w.commit()

    def test_resume_after_interrupted_writer(self, store: Store) -> None:
        data, digest = blob(1_000_000)
        half = len(data) // 2
        with store.writer("resumable", expected=digest, size=len(data)) as w:
            w.write(data[:half])
        assert store.ingests() == ["resumable"]
        status = store.status("resumable")
        assert (status.offset, status.total, status.expected) == (half, len(data), digest)
        assert status.started_at <= status.updated_at + 1
        with store.writer("resumable", expected=digest, size=len(data)) as w:
            assert w.offset == half
            w.write(data[half:])
            assert w.commit() == digest
        assert store.read(digest) == data

    def test_resume_keeps_what_the_first_writer_was_told(self, store: Store) -> None:
        data, digest = blob(1000)
        with store.writer("told", expected=digest, size=len(data)) as w:
            w.write(data[:10])
        with store.writer("told") as w:
            assert w.offset == 10
            w.write(data[10:])
            assert w.commit() == digest

    def test_resume_for_other_content_starts_over(self, store: Store) -> None:
        data, digest = blob(1000)
        _, other = blob(1000, seed=5)
        with store.writer("reused", expected=other, size=1000) as w:
            w.write(b"z" * 500)
        with store.writer("reused", expected=digest, size=1000) as w:
            assert w.offset == 0
            w.write(data)
            assert w.commit() == digest

    def test_truncate_drops_data_and_rehashes(self, store: Store) -> None:
        data, digest = blob(3000)
        with store.writer("trunc", expected=digest, size=len(data)) as w:
            w.write(data[:1000])
            w.write(b"garbage" * 100)
            w.truncate(1000)
            assert w.offset == 1000
            w.write(data[1000:])
            assert w.commit() == digest
        with store.writer("restart") as w:
            w.write(b"from a server that ignored Range")
            w.truncate(0)
            w.write(data)
            assert w.commit() == digest
        with store.writer("x") as w, pytest.raises(errdefs.InvalidArgument):
            w.truncate(1)

    def test_abort_drops_partial_data(self, store: Store) -> None:
        with store.writer("doomed") as w:
            w.write(b"partial")
        store.abort("doomed")
        assert store.ingests() == []
        with pytest.raises(errdefs.NotFound):
            store.abort("doomed")
        with store.writer("doomed") as w:
            assert w.offset == 0

    def test_abort_refuses_an_ingest_in_use(self, store: Store) -> None:
        with store.writer("busy") as w:
            w.write(b"x")
            with pytest.raises(errdefs.Unavailable):
                store.abort("busy")

    def test_writer_for_committed_blob_raises_already_exists(self, store: Store) -> None:
        data, digest = blob(10)
        store.put(data)
        with pytest.raises(errdefs.AlreadyExists):
            store.writer("again", expected=digest)
        assert store.ingests() == []

    def test_commit_of_content_already_present_drops_the_ingest(self, store: Store) -> None:
        data, digest = blob(10)
        w = store.writer("one")
        w.write(data)
        store.put(data)
        assert w.commit() == digest
        assert store.ingests() == [] and [i.digest for i in store.walk()] == [digest]

    def test_second_writer_waits_then_finds_the_blob(self, store: Store) -> None:
        data, digest = blob(200_000)
        first = store.writer("shared", expected=digest, size=len(data))
        first.write(data[:1000])
        outcome: list[object] = []

        def second() -> None:
            try:
                outcome.append(store.writer("shared", expected=digest, size=len(data)))
            except errdefs.DockyardError as err:
                outcome.append(err)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive() and outcome == []  # waiting for the first writer
        first.write(data[1000:])
        first.commit()
        thread.join(10)
        assert len(outcome) == 1 and isinstance(outcome[0], errdefs.AlreadyExists)
        assert [i.digest for i in store.walk()] == [digest] and store.ingests() == []

    def test_second_writer_without_expectation_gets_a_fresh_ingest(self, store: Store) -> None:
        data, digest = blob(1000)
        first = store.writer("plain")
        first.write(data)
        got: list[int] = []
        thread = threading.Thread(target=lambda: got.append(_write_all(store, "plain", data)))
        thread.start()
        thread.join(0.2)
        assert thread.is_alive()
        first.commit()
        thread.join(10)
        assert got == [0]  # it began after the first committed, on an empty ingest
        assert [i.digest for i in store.walk()] == [digest] and store.ingests() == []

    def test_writer_timeout_raises_unavailable(self, store: Store) -> None:
        with store.writer("held"):
            start = time.monotonic()
            with pytest.raises(errdefs.Unavailable):
                store.writer("held", timeout=0.2)
            assert 0.15 < time.monotonic() - start < 5
        with store.writer("held", timeout=0.2) as w:  # released by the close
            assert w.offset == 0

    def test_concurrent_writers_of_distinct_refs(self, store: Store) -> None:
        blobs = [blob(100_000 + i, seed=i) for i in range(8)]
        errors: list[BaseException] = []

        def ingest(i: int) -> None:
            data, digest = blobs[i]
            try:
                with store.writer(f"ref-{i}", expected=digest, size=len(data)) as w:
                    for j in range(0, len(data), 4096):
                        w.write(data[j : j + 4096])
                    w.commit()
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=ingest, args=(i,)) for i in range(len(blobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        assert sorted(i.digest for i in store.walk()) == sorted(d for _, d in blobs)
        for data, digest in blobs:
            assert store.read(digest) == data

    def test_many_writers_of_one_ref_make_one_blob(self, store: Store) -> None:
        data, digest = blob(50_000)
        results: list[str] = []

        def race() -> None:
            try:
                with store.writer("race", expected=digest, size=len(data)) as w:
                    w.write(data[w.offset :])
                    results.append(w.commit())
            except errdefs.AlreadyExists:
                results.append("exists")

        threads = [threading.Thread(target=race) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == sorted([digest] + ["exists"] * 5)
        assert [i.digest for i in store.walk()] == [digest] and store.ingests() == []

    # -- delete, walk, labels --------------------------------------------------------------

    def test_delete_walk_info_and_labels(self, store: Store) -> None:
        a, da = blob(10, seed=1)
        b, db = blob(20, seed=2)
        store.put(a)
        store.put(b)
        assert sorted((i.digest, i.size) for i in store.walk()) == sorted([(da, 10), (db, 20)])
        store.set_labels(da, {"gc.root": "image:alpine", "x": "1"})
        assert store.info(da).labels == {"gc.root": "image:alpine", "x": "1"}
        assert {i.digest: i.labels for i in store.walk()}[da] == store.info(da).labels
        store.set_labels(da, {"x": "2"})
        assert store.info(da).labels == {"x": "2"}
        store.set_labels(da, {})
        assert store.info(da).labels == {}
        store.set_labels(db, {"keep": "yes"})
        store.delete(db)
        assert not store.exists(db)
        assert [i.digest for i in store.walk()] == [da]
        with pytest.raises(errdefs.NotFound):
            store.delete(db)
        store.put(b)  # back again, without the old labels
        assert store.info(db).labels == {}


def _write_all(store: Store, ref: str, data: bytes) -> int:
    with store.writer(ref) as w:
        offset = w.offset
        w.write(data)
        w.commit()
    return offset
