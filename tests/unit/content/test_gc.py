"""Content garbage collection keeps what roots reach and removes the rest."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard.content import gc
from dockyard.content.local import LocalStore
from dockyard.content.testsuite import blob

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(str(tmp_path / "content"))


def _put_json(store: LocalStore, document: dict[str, Any]) -> str:
    return store.put(json.dumps(document).encode())


def _descriptor(store: LocalStore, digest: str, media_type: str) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": store.info(digest).size}


def _image(
    store: LocalStore, name: str, media_type: str, *, shared_layer: str | None = None
) -> tuple[str, list[str]]:
    """A manifest with a config and two layers (one maybe shared); returns (manifest, all)."""
    config = _put_json(
        store,
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": [name]},
            "rootfs": {"type": "layers", "diff_ids": []},
        },
    )
    layer = store.put(gzip.compress(f"layer of {name}".encode()))
    layers = [layer] + ([shared_layer] if shared_layer else [])
    manifest = _put_json(
        store,
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": _descriptor(store, config, "application/vnd.oci.image.config.v1+json"),
            "layers": [
                _descriptor(store, d, "application/vnd.oci.image.layer.v1.tar+gzip") for d in layers
            ],
        },
    )
    return manifest, [manifest, config, *layers]


def _children(store: LocalStore) -> Callable[[str], list[str]]:
    return lambda digest: gc.descriptor_children(store, digest)


def test_gc_keeps_what_roots_reach_and_removes_the_rest(store: LocalStore) -> None:
    shared = store.put(gzip.compress(b"shared base layer"))
    amd64, amd64_all = _image(store, "amd64", DOCKER_MANIFEST, shared_layer=shared)
    arm64, arm64_all = _image(store, "arm64", OCI_MANIFEST, shared_layer=shared)
    index = _put_json(
        store,
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                _descriptor(store, amd64, DOCKER_MANIFEST),
                _descriptor(store, arm64, OCI_MANIFEST),
            ],
        },
    )
    _, orphan_all = _image(store, "orphan", DOCKER_MANIFEST, shared_layer=shared)
    stray, _ = blob(1000, seed=7)
    stray_digest = store.put(stray)

    removed = gc.collect(store, [index], _children(store))

    kept = {index, *amd64_all, *arm64_all}
    assert sorted(removed) == sorted({*orphan_all, stray_digest} - kept)
    assert {i.digest for i in store.walk()} == kept
    assert store.exists(shared)


def test_gc_with_no_roots_empties_the_store(store: LocalStore) -> None:
    _, everything = _image(store, "x", OCI_MANIFEST)
    assert sorted(gc.collect(store, [], _children(store))) == sorted(everything)
    assert store.walk() == []


def test_gc_tolerates_roots_and_children_it_cannot_hold(store: LocalStore) -> None:
    absent = "sha256:" + "0" * 64
    manifest = _put_json(
        store,
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"digest": absent, "size": 1},
            "layers": [{"digest": "sha512:" + "a" * 128, "size": 1}, {"size": 2}, "junk"],
        },
    )
    assert gc.descriptor_children(store, manifest) == [absent, "sha512:" + "a" * 128]
    assert gc.collect(store, [absent, "not-a-digest", manifest], _children(store)) == []
    assert store.exists(manifest)


def test_descriptor_children_by_media_type(store: LocalStore) -> None:
    a, b, c = (store.put(gzip.compress(bytes([i]) * 10)) for i in range(3))
    cases = {
        # Docker manifest list, and an OCI index without mediaType (it is optional).
        _put_json(store, {"mediaType": DOCKER_LIST, "manifests": [{"digest": a}, {"digest": b}]}): [
            a,
            b,
        ],
        _put_json(store, {"schemaVersion": 2, "manifests": [{"digest": c}]}): [c],
        # An OCI manifest without mediaType.
        _put_json(
            store, {"schemaVersion": 2, "config": {"digest": a}, "layers": [{"digest": b}]}
        ): [a, b],
        # Docker schema 1 names its layers fsLayers[].blobSum.
        _put_json(store, {"schemaVersion": 1, "fsLayers": [{"blobSum": c}, {"blobSum": a}]}): [
            c,
            a,
        ],
        # An image config (it has a "config" key, but no layers) and other JSON: no children.
        _put_json(store, {"config": {"Cmd": ["sh"]}, "rootfs": {"diff_ids": [a]}}): [],
        _put_json(store, {"mediaType": "application/vnd.oci.image.config.v1+json"}): [],
        store.put(b"[1, 2, 3]"): [],
        store.put(b"{not json"): [],
        store.put(b"\xff\xfe{"): [],
        a: [],  # a gzip layer
    }
    for digest, expected in cases.items():
        assert gc.descriptor_children(store, digest) == expected, store.read(digest)[:80]


def test_descriptor_children_skips_blobs_too_large_for_a_manifest(store: LocalStore) -> None:
    big = b'{"manifests": [{"digest": "sha256:' + b"1" * 64 + b'"}]}' + b" " * (4 << 20)
    assert gc.descriptor_children(store, store.put(big)) == []


def test_gc_sweeps_stale_ingests_but_not_fresh_or_held_ones(store: LocalStore) -> None:
    for ref in ("stale", "fresh", "held-stale"):
        with store.writer(ref) as w:
            w.write(b"partial")
    root = Path(store.root) / "ingest"
    for directory in root.iterdir():
        if (directory / "ref").read_text() in ("stale", "held-stale"):
            past = time.time() - 2 * 86400
            os.utime(directory / "data", (past, past))
    with store.writer("held-stale"):
        gc.collect(store, [], _children(store))
        assert sorted(store.ingests()) == ["fresh", "held-stale"]
    gc.collect(store, [], _children(store), stale_ingest_age=None)
    assert sorted(store.ingests()) == ["fresh", "held-stale"]
    gc.collect(store, [], _children(store), stale_ingest_age=0)
    assert store.ingests() == []


def test_gc_grace_spares_blobs_just_committed(store: LocalStore) -> None:
    data, digest = blob(10)
    store.put(data)
    assert gc.collect(store, [], _children(store), grace=60) == []
    assert gc.collect(store, [], _children(store)) == [digest]
