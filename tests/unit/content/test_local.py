"""LocalStore: the conformance suite, plus what only a filesystem store can show."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.content.local import LocalStore
from dockyard.content.testsuite import StoreSuite, blob


class TestLocalStore(StoreSuite):
    @pytest.fixture
    def store(self, tmp_path: Path) -> LocalStore:
        return LocalStore(str(tmp_path / "content"))


def test_layout_on_disk(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    data, digest = blob(100)
    store.put(data)
    path = tmp_path / "blobs" / "sha256" / digest[7:]
    assert store.path(digest) == str(path)
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # immutable once verified
    store.set_labels(digest, {"k": "v"})
    assert (tmp_path / "labels" / "sha256" / digest[7:]).read_text() == '{"k": "v"}'
    with store.writer("docker.io/library/alpine:layer-1") as w:
        w.write(b"abc")
        [ingest] = (tmp_path / "ingest").iterdir()
        assert ingest.name == hashlib.sha256(b"docker.io/library/alpine:layer-1").hexdigest()
        assert (ingest / "ref").read_text() == "docker.io/library/alpine:layer-1"
        assert sorted(p.name for p in ingest.iterdir()) == ["data", "lock", "ref", "startedat"]
    assert not list((tmp_path / "blobs" / "sha256").glob("*.tmp"))


def test_ref_is_never_a_path(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path / "content"))
    for ref in ("../../escape", "/etc/passwd", "a/../../b", ".."):
        with store.writer(ref) as w:
            w.write(b"x")
    assert sorted(store.ingests()) == sorted(["../../escape", "/etc/passwd", "a/../../b", ".."])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content"]


def test_digest_traversal_cannot_touch_outside_files(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path / "content"))
    outside = tmp_path / "outside"
    outside.write_text("precious")
    for digest in ("sha256:../../../outside", "sha256:" + "../" * 3 + "outside"):
        with pytest.raises(errdefs.InvalidArgument):
            store.delete(digest)
        with pytest.raises(errdefs.InvalidArgument):
            store.set_labels(digest, {"a": "b"})
        with pytest.raises(errdefs.InvalidArgument):
            store.read(digest)
    assert outside.read_text() == "precious"


def test_walk_ignores_foreign_files(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    data, digest = blob(10)
    store.put(data)
    (tmp_path / "blobs" / "sha256" / "junk").write_text("x")
    (tmp_path / "blobs" / "sha256" / (digest[7:] + ".1234.tmp")).write_text("x")
    assert [i.digest for i in store.walk()] == [digest]


def test_resume_in_a_new_store_instance(tmp_path: Path) -> None:
    data, digest = blob(100_000)
    with LocalStore(str(tmp_path)).writer("layer", expected=digest, size=len(data)) as w:
        w.write(data[:40_000])
    store = LocalStore(str(tmp_path))
    assert store.ingests() == ["layer"] and store.status("layer").offset == 40_000
    with store.writer("layer", expected=digest, size=len(data)) as w:
        assert w.offset == 40_000
        w.write(data[40_000:])
        assert w.commit() == digest


def test_partial_data_that_went_bad_is_caught_at_commit(tmp_path: Path) -> None:
    data, digest = blob(10_000)
    store = LocalStore(str(tmp_path))
    with store.writer("layer", expected=digest, size=len(data)) as w:
        w.write(data[:5000])
    [ingest] = (tmp_path / "ingest").iterdir()
    with open(ingest / "data", "r+b") as f:  # a crash left garbage in the partial file
        f.write(b"\0" * 100)
    with store.writer("layer", expected=digest, size=len(data)) as w:
        w.write(data[w.offset :])
        with pytest.raises(errdefs.InvalidArgument, match="digest mismatch"):
            w.commit()
    assert store.walk() == [] and store.ingests() == []


_HOLDER = """
import sys
from dockyard.content.local import LocalStore
w = LocalStore(sys.argv[1]).writer("shared", size=int(sys.argv[2]))
w.write(b"p" * 1000)
w._file.flush()
print("ready", flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def _held_in_child(root: Path) -> Iterator[subprocess.Popen[str]]:
    """A child process holding a writer on "shared" with 1000 bytes written."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root), "5000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            yield child
        finally:
            child.kill()


def test_writer_lock_excludes_other_processes(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    with _held_in_child(tmp_path) as child:
        with pytest.raises(errdefs.Unavailable):
            store.writer("shared", timeout=0.2)
        with pytest.raises(errdefs.Unavailable):
            store.abort("shared")
        assert child.stdin is not None
        child.stdin.close()  # the child exits without closing its writer
        assert child.wait(10) == 0
        with store.writer("shared", timeout=5) as w:
            assert w.offset == 1000


def test_killed_writer_releases_its_lock_and_leaves_resumable_data(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    with _held_in_child(tmp_path) as child:
        child.kill()
        child.wait()
    with store.writer("shared", timeout=5) as w:
        assert w.offset == 1000
        w.write(b"p" * 4000)
        assert w.commit() == "sha256:" + hashlib.sha256(b"p" * 5000).hexdigest()


def test_new_store_tidies_what_a_crash_left(tmp_path: Path) -> None:
    LocalStore(str(tmp_path))
    ingest = tmp_path / "ingest"
    old_put = ingest / ".put-deadbeef"
    old_put.write_bytes(b"x")
    os.utime(old_put, (time.time() - 3600, time.time() - 3600))
    new_put = ingest / ".put-cafe"
    new_put.write_bytes(b"x")
    refless = ingest / ("0" * 64)
    refless.mkdir()
    (refless / "lock").touch()
    LocalStore(str(tmp_path))
    assert sorted(p.name for p in ingest.iterdir()) == [".put-cafe"]
