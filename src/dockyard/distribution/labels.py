"""Content labels the registry client writes and reads (containerd's names for them).

- `containerd.io/distribution.source.<registry>=<repo>[,<repo>...]` on every blob pulled from
  or pushed to a repository: a later push to another repository of that registry can mount
  the blob from there instead of uploading it.
- `containerd.io/gc.ref.content.*` on manifests and indexes: the edges the garbage collector
  follows from an image to its config, layers and platform manifests.
- `containerd.io/uncompressed=<diff_id>` on a layer blob.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dockyard import errdefs
from dockyard.content.store import Store
from dockyard.distribution.manifests import Descriptor, Manifest
from dockyard.images.reference import Reference

SOURCE_PREFIX = "containerd.io/distribution.source."
UNCOMPRESSED = "containerd.io/uncompressed"
GC_CONFIG = "containerd.io/gc.ref.content.config"
GC_LAYER = "containerd.io/gc.ref.content.l."
GC_MANIFEST = "containerd.io/gc.ref.content.m."


def source(ref: Reference) -> dict[str, str]:
    """The distribution source label of `ref`'s repository (merged with others by merge())."""
    return {SOURCE_PREFIX + ref.domain: ref.path}


def sources(labels: Mapping[str, str], domain: str) -> list[str]:
    """The repositories of registry `domain` a blob is known to be in."""
    value = labels.get(SOURCE_PREFIX + domain, "")
    return [repo for repo in value.split(",") if repo]


def manifest_refs(manifest: Manifest) -> dict[str, str]:
    out = {GC_CONFIG: manifest.config.digest}
    out.update({f"{GC_LAYER}{i}": layer.digest for i, layer in enumerate(manifest.layers)})
    return out


def index_refs(children: Sequence[Descriptor]) -> dict[str, str]:
    return {f"{GC_MANIFEST}{i}": child.digest for i, child in enumerate(children)}


def uncompressed(diff_id: str) -> dict[str, str]:
    return {UNCOMPRESSED: diff_id}


def merge(content: Store, digest: str, labels: Mapping[str, str]) -> None:
    """Add `labels` to a blob's labels; source labels accumulate repositories."""
    try:
        current = dict(content.info(digest).labels)
    except errdefs.NotFound:
        return
    updated = dict(current)
    for key, value in labels.items():
        if key.startswith(SOURCE_PREFIX) and updated.get(key):
            repos = updated[key].split(",")
            if value not in repos:
                updated[key] = ",".join(sorted([*repos, value]))
        else:
            updated[key] = value
    if updated != current:
        content.set_labels(digest, updated)
