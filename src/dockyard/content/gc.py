"""Garbage collection of the content store: mark from roots, sweep the rest.

The roots are the digests something above the store still names (an image's manifest or
index, a build cache record). Marking follows `children` — for images, `descriptor_children`:
an index's manifests, a manifest's config and layers — and sweeping deletes every committed
blob left unmarked, plus ingests nobody has written to for `stale_ingest_age` seconds.

The caller must keep roots stable while it collects (containerd uses leases for this): a
pull that has committed layers but not yet recorded its image would lose them. `grace`
spares blobs committed in the last `grace` seconds, a cheap guard for exactly that case.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from dockyard import errdefs
from dockyard.content.digest import is_sha256
from dockyard.content.store import Store
from dockyard.utils import jsonfast

log = logging.getLogger(__name__)

MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_TYPE_DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json"

MANIFEST_TYPES = frozenset({MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST})
INDEX_TYPES = frozenset({MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX})
SCHEMA1_TYPES = frozenset({MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED})

# distribution refuses manifests larger than this; anything bigger is a layer, not parsed.
MANIFEST_SIZE_MAX = 4 << 20

DAY = 24 * 3600.0


def collect(
    store: Store,
    roots: Iterable[str],
    children: Callable[[str], Iterable[str]],
    *,
    stale_ingest_age: float | None = DAY,
    grace: float = 0.0,
) -> list[str]:
    """Delete every blob not reachable from `roots`; return the digests removed.

    Ingests untouched for `stale_ingest_age` seconds are aborted too (None keeps them);
    ingests a writer holds right now are always kept.
    """
    marked = mark(store, roots, children)
    now = time.time()
    removed = []
    for info in store.walk():
        if info.digest in marked or now - info.created_at < grace:
            continue
        try:
            store.delete(info.digest)
        except errdefs.NotFound:
            continue  # deleted meanwhile
        removed.append(info.digest)
    if stale_ingest_age is not None:
        _sweep_ingests(store, now - stale_ingest_age)
    log.debug("content gc: %d marked, %d removed", len(marked), len(removed))
    return removed


def mark(store: Store, roots: Iterable[str], children: Callable[[str], Iterable[str]]) -> set[str]:
    """Every digest reachable from `roots` (roots included) that the store holds."""
    marked: set[str] = set()
    pending = [d for d in roots if is_sha256(d)]
    while pending:
        digest = pending.pop()
        if digest in marked or not store.exists(digest):
            continue  # a root may name content not pulled (yet): nothing below it to keep
        marked.add(digest)
        pending.extend(d for d in children(digest) if is_sha256(d) and d not in marked)
    return marked


def descriptor_children(store: Store, digest: str) -> list[str]:
    """The digests a manifest (config, layers) or an index (manifests) refers to; none for
    anything else (configs, layers, blobs that are not JSON)."""
    if store.info(digest).size > MANIFEST_SIZE_MAX:
        return []
    data = store.read(digest)
    if data.lstrip()[:1] != b"{":
        return []  # a layer (gzip, zstd, tar): not worth a JSON parse
    try:
        document = jsonfast.loads(data)
    except ValueError:
        return []
    return _children_of(document) if isinstance(document, dict) else []


def _children_of(document: dict[str, Any]) -> list[str]:
    media_type = document.get("mediaType")
    if not isinstance(media_type, str):
        media_type = _guess_media_type(document)
    if media_type in INDEX_TYPES:
        return _digests(document.get("manifests"))
    if media_type in MANIFEST_TYPES:
        config = document.get("config")
        return _digests([config] if isinstance(config, dict) else []) + _digests(
            document.get("layers")
        )
    if media_type in SCHEMA1_TYPES:
        layers = document.get("fsLayers")
        if isinstance(layers, list):
            return [d["blobSum"] for d in layers if isinstance(d, dict) and _is_str(d, "blobSum")]
    return []


def _guess_media_type(document: dict[str, Any]) -> str | None:
    """OCI allows mediaType to be absent: tell an index from a manifest by its fields."""
    if isinstance(document.get("manifests"), list):
        return MEDIA_TYPE_OCI_INDEX
    if isinstance(document.get("layers"), list) and isinstance(document.get("config"), dict):
        return MEDIA_TYPE_OCI_MANIFEST
    if document.get("schemaVersion") == 1 and isinstance(document.get("fsLayers"), list):
        return MEDIA_TYPE_DOCKER_SCHEMA1
    return None


def _digests(descriptors: object) -> list[str]:
    if not isinstance(descriptors, list):
        return []
    return [d["digest"] for d in descriptors if isinstance(d, dict) and _is_str(d, "digest")]


def _is_str(mapping: dict[str, Any], key: str) -> bool:
    return isinstance(mapping.get(key), str)


def _sweep_ingests(store: Store, cutoff: float) -> None:
    for ref in store.ingests():
        try:
            if store.status(ref).updated_at >= cutoff:
                continue
            store.abort(ref)
        except (errdefs.NotFound, errdefs.Unavailable):
            continue  # finished meanwhile, or a writer holds it: not stale
        log.info("content gc: dropped stale ingest %s", ref)
