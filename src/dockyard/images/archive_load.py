"""`docker load`: images from a docker-archive or OCI-layout tar (plain, gzip or zstd).

The archive is read once, front to back; its members never become paths on this host.
Every regular file is streamed into the content store (so it is hashed and named by its
digest); symlinks and hardlinks are remembered as archive paths, cleaned and refused when
they climb out of the archive. Then the index of the archive is read:

- manifest.json (every `docker save`, Docker 20.10 and 25+): per image, a config path, its
  RepoTags and one layer path per diff id;
- else index.json (an OCI layout, as skopeo writes): manifests (this platform's, from a
  nested index), names from `io.containerd.image.name` annotations.

Each layer is unpacked through snapshots.unpack (safe extraction, diff_id computed) unless
its chain is unpacked already, and must produce the diff_id the config names ("invalid
diffID for layer N"). Layers arrive uncompressed in Docker's archives: they are stored gzip-
compressed, as the image's schema 2 manifest wants them. What was spooled and is not a blob
of an image afterwards is deleted again.

`load` returns the lines `docker load` prints: "Loaded image: busybox:latest", or
"Loaded image ID: sha256:..." for an image without tags.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import tarfile
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from dockyard import errdefs
from dockyard.distribution import platforms
from dockyard.distribution.manifests import (
    DOCKER_LAYER_GZIP,
    INDEX_TYPES,
    Descriptor,
    parse_index,
    parse_manifest,
)
from dockyard.images import ingest
from dockyard.images import reference as refs
from dockyard.images.image import Image, parse_image
from dockyard.images.store import LayerBlob
from dockyard.snapshots import unpack
from dockyard.snapshots.compression import GZIP_MAGIC, open_layer

if TYPE_CHECKING:
    from dockyard.images.service import ImageService

CHUNK = 1 << 20
MAX_ENTRIES = 100_000  # Docker's archives hold 3 files per layer; more is not an image
MAX_JSON = 32 << 20  # bytes: manifest.json, index.json, configs, manifests
MAX_LINK_HOPS = 32
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
_UNUSED = frozenset({"VERSION", "json", "repositories", "oci-layout"})  # legacy metadata


def load(images: ImageService, stream: BinaryIO) -> list[str]:
    """Load every image of the archive `stream`; returns `docker load`'s output lines."""
    archive = _Archive(images)
    try:
        archive.read(open_layer(stream))
        return archive.load_images()
    finally:
        archive.drop_spooled()


class _Archive:
    def __init__(self, images: ImageService) -> None:
        self.images = images
        self.files: dict[str, str] = {}  # archive path -> digest of its content
        self.links: dict[str, str] = {}  # archive path -> archive path it names
        self.spooled: set[str] = set()  # digests this load put into the content store

    # -- reading the tar -------------------------------------------------------------------

    def read(self, stream: BinaryIO) -> None:
        count = 0
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    count += 1
                    if count > MAX_ENTRIES:
                        raise errdefs.InvalidArgument(
                            f"invalid archive: more than {MAX_ENTRIES} entries"
                        )
                    self._member(tar, member)
        except tarfile.TarError as err:
            raise errdefs.InvalidArgument(f"invalid archive: {err}") from err

    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        path = unpack.clean_path(member.name, "archive entry")
        if not path:
            return
        if member.issym():
            base = posixpath.dirname(path)
            target = member.linkname
            joined = target if target.startswith("/") else posixpath.join(base, target)
            self.links[path] = unpack.clean_path(joined, f"symlink {path}")
        elif member.islnk():
            self.links[path] = unpack.clean_path(member.linkname, f"hardlink {path}")
        elif member.isfile() and posixpath.basename(path) not in _UNUSED:
            source = tar.extractfile(member)
            assert source is not None  # a regular file always has content
            self.files[path] = self._spool(source, member.size)

    def _spool(self, source: IO[bytes], size: int) -> str:
        ref = f"load-{os.urandom(8).hex()}"
        writer = self.images.content.writer(ref, size=size)
        try:
            sha = hashlib.sha256()
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                writer.write(chunk)
            digest = "sha256:" + sha.hexdigest()
            existed = self.images.content.exists(digest)
            writer.commit(expected=digest, size=size)
        except BaseException:
            writer.close()
            try:
                self.images.content.abort(ref)
            except errdefs.NotFound:
                pass  # nothing was written
            raise
        if not existed:
            self.spooled.add(digest)
        return digest

    def resolve(self, path: str, what: str) -> str:
        """The digest of the file at archive `path`, following links inside the archive."""
        current = unpack.clean_path(path, what)
        for _ in range(MAX_LINK_HOPS):
            if current in self.files:
                return self.files[current]
            if current not in self.links:
                raise errdefs.InvalidArgument(f"invalid archive: {what} {path!r} is missing")
            current = self.links[current]
        raise errdefs.InvalidArgument(f"invalid archive: too many links at {path!r}")

    def small(self, digest: str, what: str) -> bytes:
        """A JSON document of the archive, refused when absurdly large."""
        if self.images.content.info(digest).size > MAX_JSON:
            raise errdefs.InvalidArgument(f"invalid archive: {what} is too large")
        return self.images.content.read(digest)

    def read_json(self, digest: str, what: str) -> Any:
        try:
            return json.loads(self.small(digest, what))
        except ValueError as err:
            raise errdefs.InvalidArgument(
                f"invalid archive: failed to decode {what}: {err}"
            ) from err

    # -- images ----------------------------------------------------------------------------

    def load_images(self) -> list[str]:
        if "manifest.json" in self.files or "manifest.json" in self.links:
            items = self._docker_items()
        elif "index.json" in self.files:
            items = self._oci_items()
        else:
            raise errdefs.InvalidArgument("invalid archive: does not contain a manifest.json")
        lines: list[str] = []
        loaded: dict[str, str] = {}  # config digest -> image id, for parent links
        for config_digest, layer_digests, tags, parent in items:
            image_id = self._load_one(config_digest, layer_digests)
            loaded[config_digest] = image_id
            lines.extend(self._tag(image_id, tags))
            if parent:
                self._link_parent(image_id, parent, loaded)
        return lines

    def _docker_items(self) -> list[tuple[str, list[str], list[str], str]]:
        manifest = self.read_json(self.resolve("manifest.json", "manifest"), "manifest.json")
        if manifest is None:
            raise errdefs.InvalidArgument(
                "invalid manifest, manifest cannot be null (but can be [])"
            )
        if not isinstance(manifest, list):
            raise errdefs.InvalidArgument("invalid archive: manifest.json is not a list")
        items = []
        for item in manifest:
            if not isinstance(item, dict) or not isinstance(item.get("Config"), str):
                raise errdefs.InvalidArgument("invalid archive: manifest.json entry without Config")
            layers = item.get("Layers") or []
            tags = item.get("RepoTags") or []
            if not _strings(layers) or not _strings(tags):
                raise errdefs.InvalidArgument("invalid archive: manifest.json entry is malformed")
            config = self.resolve(item["Config"], "config")
            layer_digests = [self.resolve(p, "layer") for p in layers]
            parent = item.get("Parent") if isinstance(item.get("Parent"), str) else ""
            items.append((config, layer_digests, list(tags), parent or ""))
        return items

    def _oci_items(self) -> list[tuple[str, list[str], list[str], str]]:
        index = parse_index(self.small(self.files["index.json"], "index.json"))
        by_manifest: dict[str, tuple[str, list[str], list[str], str]] = {}
        for descriptor in index.manifests:
            manifest_digest = self._platform_manifest(descriptor)
            manifest = parse_manifest(self._blob(manifest_digest))
            config = self._blob_digest(manifest.config.digest)
            layers = [self._blob_digest(d.digest) for d in manifest.layers]
            entry = by_manifest.setdefault(manifest_digest, (config, layers, [], ""))
            name = descriptor.annotations.get(ANNOTATION_IMAGE_NAME, "")
            if name:
                entry[2].append(name)
        return list(by_manifest.values())

    def _platform_manifest(self, descriptor: Descriptor) -> str:
        """A manifest's digest; for a nested index, this platform's manifest in it."""
        if descriptor.media_type not in INDEX_TYPES:
            return descriptor.digest
        nested = parse_index(self._blob(descriptor.digest))
        chosen = platforms.select_manifest(nested.raw_manifests, self.images.platform)
        return str(chosen["digest"])

    def _blob_digest(self, digest: str) -> str:
        """A blob of the layout, verified: blobs/sha256/<hex> must hash to <hex>."""
        found = self.resolve(f"blobs/{digest.replace(':', '/', 1)}", "blob")
        if found != digest:
            raise errdefs.InvalidArgument(f"invalid archive: blob {digest} has digest {found}")
        return found

    def _blob(self, digest: str) -> bytes:
        return self.small(self._blob_digest(digest), digest)

    def _load_one(self, config_digest: str, layer_digests: Sequence[str]) -> str:
        raw = self.small(config_digest, "image config")
        image = parse_image(raw)
        if (image.os or "linux") != "linux":
            raise errdefs.InvalidArgument(f"cannot load {image.os} image on linux")
        if len(layer_digests) != len(image.diff_ids):
            raise errdefs.InvalidArgument(
                f"invalid manifest, layers length mismatch: expected {len(layer_digests)},"
                f" got {len(image.diff_ids)}"
            )
        layers = [self._layer(image, i, digest) for i, digest in enumerate(layer_digests)]
        return self.images.register(config=raw, layers=layers).id

    def _layer(self, image: Image, i: int, source: str) -> LayerBlob:
        diff_id = image.diff_ids[i]
        chain_id = unpack.chain_ids(image.diff_ids[: i + 1])[-1]
        unpacked = _exists(self.images, chain_id)
        known = self.images.store.layer(diff_id)
        if unpacked and known is not None and self.images.content.exists(known.digest):
            return known
        with self.images.content.open(source) as head:
            gzipped = head.read(2) == GZIP_MAGIC
        info = self.images.content.info(source)
        stored = LayerBlob(diff_id, source, DOCKER_LAYER_GZIP, info.size) if gzipped else None
        with self.images.content.open(source) as stream:
            try:
                done = ingest.ingest_layer(
                    content=self.images.content,
                    snapshotter=None if unpacked else self.images.snapshotter,
                    source=stream,
                    parent_diff_ids=image.diff_ids[:i],
                    expected_diff_id=diff_id,
                    stored=stored,
                )
            except errdefs.InvalidArgument as err:
                raise errdefs.InvalidArgument(f"layer {i}: {err}") from err
        return done.blob

    def _tag(self, image_id: str, tags: Sequence[str]) -> list[str]:
        lines = []
        for text in tags:
            ref = refs.parse(text)
            if not ref.tag or ref.digest:
                raise errdefs.InvalidArgument(f'invalid tag "{text}"')
            previous = self.images.store.tag(image_id, ref)
            if previous:
                lines.append(
                    f"The image {ref.familiar()} already exists, renaming the old one with ID"
                    f" {previous} to empty string"
                )
            lines.append(f"Loaded image: {ref.familiar()}")
        return lines or [f"Loaded image ID: {image_id}"]

    def _link_parent(self, image_id: str, parent: str, loaded: Mapping[str, str]) -> None:
        """A parent link survives only when the parent is in the archive too and its history
        is the child's minus one step (moby's validatedParentLinks, checkValidParent)."""
        if parent not in loaded.values() or parent == image_id:
            return
        child, older = self.images.image(image_id), self.images.image(parent)
        if len(child.history) != len(older.history) + 1 and (child.history or older.history):
            return
        if list(child.history[: len(older.history)]) != list(older.history):
            return
        self.images.store.set_parent(image_id, parent)

    # -- cleanup ---------------------------------------------------------------------------

    def drop_spooled(self) -> None:
        """Delete what this load spooled that no image refers to (uncompressed layers once
        they are stored as gzip, legacy metadata, everything after a failure)."""
        if not self.spooled:
            return
        keep = self.images.content_roots()
        for digest in self.spooled - keep:
            try:
                self.images.content.delete(digest)
            except errdefs.NotFound:
                pass


def _exists(images: ImageService, chain_id: str) -> bool:
    try:
        images.snapshotter.stat(chain_id)
    except errdefs.NotFound:
        return False
    return True


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
