"""Manifests, indexes and descriptors as the registry serves them (Docker v2.2 and OCI v1).

Raw JSON enters here and leaves as frozen records: `Descriptor` (what points at a blob),
`Manifest` (one image: its config and layers) and `Index` (a manifest list: one manifest per
platform). Docker schema 1 manifests are refused with Docker's deprecation message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.content import digest as digests
from dockyard.distribution.platforms import Platform
from dockyard.utils import jsonfast
from dockyard.utils.record import field, record

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

MANIFEST_TYPES = (DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_TYPES = (DOCKER_MANIFEST_LIST, OCI_INDEX)
# What a pull asks for, best first (the Accept header of a manifest request).
ACCEPT = (DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)
MAX_MANIFEST_SIZE = 4 << 20  # bytes; containerd's limit, a bigger "manifest" is an attack


@record(frozen=True)
class Descriptor:
    """What points at a blob: its media type, digest and size (plus an index's platform)."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    urls: tuple[str, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The OCI descriptor object."""
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.urls:
            out["urls"] = list(self.urls)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.as_json()
        return out

    @classmethod
    def from_json(cls, value: object, *, what: str) -> Descriptor:
        """A descriptor object from a manifest; InvalidArgument naming `what` when malformed."""
        if not isinstance(value, Mapping):
            raise errdefs.InvalidArgument(f"invalid {what}: not a descriptor object")
        digest, size = value.get("digest"), value.get("size")
        if not isinstance(digest, str) or not isinstance(size, int) or size < 0:
            raise errdefs.InvalidArgument(f"invalid {what}: missing digest or size")
        digests.parse(digest)
        platform = value.get("platform")
        urls = value.get("urls") or ()
        annotations = value.get("annotations") or {}
        return cls(
            media_type=str(value.get("mediaType", "")),
            digest=digest,
            size=size,
            platform=Platform.from_json(platform) if isinstance(platform, Mapping) else None,
            urls=tuple(str(u) for u in urls) if isinstance(urls, list) else (),
            annotations=(
                {str(k): str(v) for k, v in annotations.items()}
                if isinstance(annotations, Mapping)
                else {}
            ),
        )


@record(frozen=True)
class Manifest:
    """One image's manifest: its config blob and its layers, base first."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


@record(frozen=True)
class Index:
    """A manifest list / OCI index: one entry per platform (and attestations)."""

    media_type: str
    manifests: tuple[Descriptor, ...]
    raw_manifests: tuple[Mapping[str, Any], ...]  # the entries as served, for platform choice


def media_type_of(data: bytes, served: str) -> str:
    """The media type of a manifest body: its own `mediaType`, else what the server said."""
    try:
        document = jsonfast.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise errdefs.InvalidArgument(f"invalid manifest: {err}") from err
    if not isinstance(document, dict):
        raise errdefs.InvalidArgument("invalid manifest: not a JSON object")
    own = document.get("mediaType")
    if isinstance(own, str) and own:
        return own
    if document.get("schemaVersion") == 1:
        return SCHEMA1
    if "manifests" in document:
        return OCI_INDEX
    return served.split(";", 1)[0].strip() or OCI_MANIFEST


def refuse_schema1(media_type: str, ref: str) -> None:
    """Docker schema 1 is gone (Docker 28 refuses it the same way)."""
    if media_type in (SCHEMA1, SCHEMA1_SIGNED, "application/json"):
        raise errdefs.Unimplemented(
            "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2,"
            " schema 1 support is disabled by default and will be removed in an upcoming"
            f" release. Suggest the author of {ref} to upgrade the image to the OCI Format or"
            " Docker Image manifest v2, schema 2. More information at"
            " https://docs.docker.com/go/deprecated-image-specs/"
        )


def parse_manifest(data: bytes) -> Manifest:
    """An image manifest (Docker v2.2 or OCI); InvalidArgument when malformed."""
    document = _object(data, "manifest")
    media_type = str(document.get("mediaType") or OCI_MANIFEST)
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise errdefs.InvalidArgument("invalid manifest: no layers list")
    return Manifest(
        media_type=media_type,
        config=Descriptor.from_json(document.get("config"), what="manifest config"),
        layers=tuple(Descriptor.from_json(layer, what="manifest layer") for layer in layers),
    )


def parse_index(data: bytes) -> Index:
    """A manifest list or OCI index; InvalidArgument when malformed."""
    document = _object(data, "manifest list")
    entries = document.get("manifests")
    if not isinstance(entries, list):
        raise errdefs.InvalidArgument("invalid manifest list: no manifests list")
    return Index(
        media_type=str(document.get("mediaType") or OCI_INDEX),
        manifests=tuple(Descriptor.from_json(m, what="manifest list entry") for m in entries),
        raw_manifests=tuple(m for m in entries if isinstance(m, Mapping)),
    )


def parse_config_rootfs(data: bytes) -> tuple[Platform, tuple[str, ...]]:
    """An image config's platform and `rootfs.diff_ids`."""
    document = _object(data, "image config")
    rootfs = document.get("rootfs")
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, Mapping) else None
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) for d in diff_ids):
        raise errdefs.InvalidArgument("invalid image config: no rootfs.diff_ids")
    for diff_id in diff_ids:
        digests.parse(diff_id)
    return Platform.from_json(document), tuple(diff_ids)


def _object(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = jsonfast.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise errdefs.InvalidArgument(f"invalid {what}: {err}") from err
    if not isinstance(document, dict):
        raise errdefs.InvalidArgument(f"invalid {what}: not a JSON object")
    return document
