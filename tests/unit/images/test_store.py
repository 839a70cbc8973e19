"""ImageStore: records, references and Docker's name resolution, in SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.images.reference import parse
from dockyard.images.store import ImageRecord, ImageStore, LayerBlob

A = "sha256:" + "ab" * 32
B = "sha256:" + "ac" * 32
C = "sha256:" + "cd" * 32


def record(image_id: str, created: str = "2024-01-01T00:00:00Z", parent: str = "") -> ImageRecord:
    diff = "sha256:" + image_id[7:9] * 32
    return ImageRecord(
        id=image_id, diff_ids=(diff,), chain_ids=(diff,), created=created, parent=parent
    )


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    s = ImageStore(str(tmp_path / "metadata.db"))
    for image_id in (A, B, C):
        s.add(record(image_id))
    return s


def test_resolves_ids_prefixes_and_references_as_docker(store: ImageStore) -> None:
    store.tag(A, parse("busybox:latest"))
    store.tag(C, parse("localhost:5000/x@sha256:" + "e" * 64))
    assert store.get(A).id == A
    assert store.get(A[7:]).id == A  # the bare 64 hex digits
    assert store.get("cd").id == C  # a unique prefix, one digit is enough
    assert store.get("sha256:cdc").id == C
    assert store.get("busybox").id == A
    assert store.get("docker.io/library/busybox:latest").id == A
    assert store.get("localhost:5000/x@sha256:" + "e" * 64).id == C
    # A tag and a digest: the digest decides.
    assert store.get("localhost:5000/x:nope@sha256:" + "e" * 64).id == C
    with pytest.raises(errdefs.NotFound, match=r"^No such image: a:latest$"):
        store.get("a")  # ambiguous prefix (ab..., ac...): Docker says no such image
    with pytest.raises(errdefs.NotFound, match=r"^No such image: busybox:1$"):
        store.get("busybox:1")
    with pytest.raises(errdefs.NotFound, match=rf"^No such image: sha256:{'f' * 64}$"):
        store.get("sha256:" + "f" * 64)
    with pytest.raises(errdefs.InvalidArgument):
        store.get("NotLower")


def test_a_tag_wins_over_an_id_prefix(store: ImageStore) -> None:
    store.tag(B, parse("cd:latest"))
    assert store.get("cd").id == B


def test_tags_move_digests_do_not(store: ImageStore) -> None:
    assert store.tag(A, parse("app:1")) == ""
    assert store.tag(B, parse("app:1")) == A  # the image it named before
    assert store.lookup(parse("app:1")) == B
    digest_ref = parse("app@sha256:" + "9" * 64)
    store.tag(A, digest_ref)
    with pytest.raises(errdefs.Conflict, match="cannot overwrite digest"):
        store.tag(B, digest_ref)
    with pytest.raises(errdefs.InvalidArgument, match="ambiguous tag"):
        store.tag(A, parse("sha256:abc"))
    with pytest.raises(errdefs.NotFound):
        store.tag("sha256:" + "0" * 64, parse("ghost"))


def test_references_are_lexical_and_deleting_an_image_drops_them(store: ImageStore) -> None:
    for name in ("zed:1", "alpha:2", "alpha@sha256:" + "1" * 64):
        store.tag(A, parse(name))
    assert [str(r) for r in store.references(A)] == [
        "docker.io/library/alpha:2",
        "docker.io/library/alpha@sha256:" + "1" * 64,
        "docker.io/library/zed:1",
    ]
    assert store.untag(parse("zed")) is False  # zed:latest never existed
    assert store.untag(parse("zed:1")) is True
    store.delete(A)
    assert store.references(A) == []
    assert store.all_references() == {}
    with pytest.raises(errdefs.NotFound):
        store.delete(A)


def test_children_parents_and_tag_time(store: ImageStore) -> None:
    store.add(record("sha256:" + "ef" * 32, parent=A))
    assert store.children(A) == ["sha256:" + "ef" * 32]
    assert store.by_id(A).last_tag_time == ""
    store.tag(A, parse("t"), touch=True)
    assert store.by_id(A).last_tag_time.endswith("Z")
    store.delete(A)
    assert store.by_id("sha256:" + "ef" * 32).parent == ""  # the child lost its parent link


def test_adding_a_known_image_keeps_what_it_does_not_bring(store: ImageStore) -> None:
    store.set_parent(A, B)
    store.tag(A, parse("t"), touch=True)
    before = store.by_id(A)
    after = store.add(ImageRecord(A, before.diff_ids, before.chain_ids, manifest_digest=C))
    assert (after.parent, after.last_tag_time, after.manifest_digest) == (
        B, before.last_tag_time, C,
    )  # fmt: skip


def test_adding_a_known_image_keeps_its_references(store: ImageStore) -> None:
    # A pull of an image we have under another name must not untag that name.
    store.tag(A, parse("busybox"))
    store.add(record(A))
    assert [str(r) for r in store.references(A)] == ["docker.io/library/busybox:latest"]


def test_layers_first_blob_wins_and_sizes_fill_in(store: ImageStore) -> None:
    store.put_layer(LayerBlob("sha256:" + "1" * 64, A, "gzip", 10))
    store.put_layer(LayerBlob("sha256:" + "1" * 64, B, "gzip", 20, diff_size=99))
    blob = store.layer("sha256:" + "1" * 64)
    assert blob == LayerBlob("sha256:" + "1" * 64, A, "gzip", 10, 99)
    assert store.layer("sha256:" + "2" * 64) is None


def test_state_survives_reopening_and_uses_wal(tmp_path: Path, store: ImageStore) -> None:
    store.tag(A, parse("busybox"))
    store.close()
    again = ImageStore(str(tmp_path / "metadata.db"))
    assert again.get("busybox").id == A
    assert {r.id for r in again.list()} == {A, B, C}
    with sqlite3.connect(tmp_path / "metadata.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"image_images", "image_refs", "image_layers"}
