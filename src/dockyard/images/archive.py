"""`docker save`: images as a tar, in Docker's two layouts; `load` lives in archive_load.

FORMAT_DOCKER is the docker-archive of Docker 20.10-24 (`docker save` before the
containerd era):

    <v1 id>/VERSION, <v1 id>/json, <v1 id>/layer.tar   one directory per layer (uncompressed)
    <config hex>.json                                   each image's config
    manifest.json    [{"Config": "<hex>.json", "RepoTags": [...], "Layers": ["<v1 id>/layer.tar"]}]
    repositories     {"busybox": {"latest": "<top v1 id>"}}

FORMAT_OCI is what Docker 25+ writes: an OCI image layout (oci-layout, index.json with one
manifest per tag, blobs/sha256/<hex> for configs, manifests and uncompressed layers) plus the
same manifest.json (paths into blobs/) and repositories, so old and new loaders both read it.

Entries come in the order Go's filepath.Walk gives (directory, then its children), with
Docker's modes and times: the image's creation time on layer and config entries, the epoch
on the archive's own files. A layer is the uncompressed tar whose sha256 is its diff_id,
inflated from the blob the content store holds; a layer the archive already carries under
another name is a symlink to it (as Docker 20.10 writes).
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard import errdefs
from dockyard.distribution.manifests import OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST
from dockyard.images import reference as refs
from dockyard.images import timefmt
from dockyard.images.archive_load import load
from dockyard.images.reference import Reference
from dockyard.images.store import ImageRecord, LayerBlob
from dockyard.snapshots.compression import open_layer
from dockyard.utils.record import record

if TYPE_CHECKING:
    from dockyard.images.service import ImageService

__all__ = ["FORMAT_DOCKER", "FORMAT_OCI", "load", "save"]

FORMAT_DOCKER = "docker"
FORMAT_OCI = "oci"
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
OCI_LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'
CHUNK = 1 << 20


@record(frozen=True)
class _Entry:
    """One archive member: a directory, a file (bytes, or a layer streamed from a blob), or
    a symlink."""

    path: str
    kind: str  # "dir", "file", "layer", "symlink"
    mtime: int = 0
    data: bytes = b""
    layer: LayerBlob | None = None
    target: str = ""


class _Selection:
    """The images to save, each with the tags to record for it (parseNames)."""

    def __init__(self) -> None:
        self.tags: dict[str, list[Reference]] = {}

    def add(self, image_id: str, ref: Reference | None = None) -> None:
        tags = self.tags.setdefault(image_id, [])
        if ref is not None and not ref.digest and ref not in tags:
            tags.append(ref)


def save(
    images: ImageService, names: Sequence[str], out: BinaryIO, *, format: str = FORMAT_DOCKER
) -> None:
    """Write the images `names` select (ids, references, or bare repository names meaning
    all their tags) to `out` as a tar in `format`."""
    if format not in (FORMAT_DOCKER, FORMAT_OCI):
        raise errdefs.InvalidArgument(f"unknown archive format {format!r}")
    selection = _select(images, names)
    entries = _Layout(images, oci=format == FORMAT_OCI).entries(selection)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        # Layers are copied in big reads, not tarfile's 16 KiB (typeshed lacks the attribute).
        tar.copybufsize = CHUNK  # type: ignore[attr-defined]
        for entry in sorted(entries.values(), key=lambda e: e.path.split("/")):
            _write(images, tar, entry)


def _select(images: ImageService, names: Sequence[str]) -> _Selection:
    selection = _Selection()
    store = images.store
    for name in names:
        parsed = refs.parse_any(name)
        if isinstance(parsed, str):
            selection.add(store.by_id(parsed).id)
            continue
        if parsed.familiar_name() == "sha256":  # "sha256:<short id>"
            selection.add(store.get(name).id)
            continue
        if not parsed.tag and not parsed.digest:
            found = store.references_by_name(parsed)
            for ref, image_id in found:
                selection.add(image_id, ref)
            if not found:
                selection.add(store.get(name).id)
            continue
        named = store.lookup(parsed)
        if named is None:
            raise errdefs.NotFound("reference does not exist")
        selection.add(named, parsed)
    return selection


class _Layout:
    """Builds the entries of one archive."""

    def __init__(self, images: ImageService, *, oci: bool) -> None:
        self.images = images
        self.oci = oci
        self.entries_by_path: dict[str, _Entry] = {}
        self.layer_paths: dict[str, str] = {}  # diff_id -> path of its first copy

    def entries(self, selection: _Selection) -> dict[str, _Entry]:
        manifest: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        index: list[dict[str, Any]] = []
        saved = set(selection.tags)
        for image_id, tags in selection.tags.items():
            record = self.images.store.by_id(image_id)
            if not record.diff_ids:
                raise errdefs.FailedPrecondition("empty export - not implemented")
            layers, top = (self._oci_image if self.oci else self._docker_image)(record)
            for ref in tags:
                repositories.setdefault(ref.familiar_name(), {})[ref.tag] = top
            item: dict[str, Any] = {
                "Config": self._config_path(record),
                "RepoTags": [ref.familiar() for ref in tags] or None,
                "Layers": layers,
            }
            if record.parent and record.parent in saved:
                item["Parent"] = record.parent
            manifest.append(item)
            if self.oci:
                index.extend(self._index_entries(record, tags))
        if repositories:
            self._file("repositories", _go_json(repositories) + b"\n")
        self._file("manifest.json", _go_json(manifest) + b"\n")
        if self.oci:
            self._file("oci-layout", OCI_LAYOUT)
            doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index}
            self._file("index.json", _go_json(doc))
        return self.entries_by_path

    # -- Docker 20.10 layout ---------------------------------------------------------------

    def _docker_image(self, record: ImageRecord) -> tuple[list[str], str]:
        image = self.images.image(record.id)
        mtime = _mtime(image.created)
        parent = ""
        paths = []
        for i, diff_id in enumerate(record.diff_ids):
            top = i == len(record.diff_ids) - 1
            v1 = _v1_config(image.raw if top else None, image.os)
            # v1.CreateID: the digest of that config with the layer's chain id and the
            # parent's v1 id in it; the json written names the parent by hex instead.
            keyed = v1 | {"layer_id": record.chain_ids[i]}
            if parent:
                keyed["parent"] = "sha256:" + parent
            v1_id = hashlib.sha256(_go_json(keyed)).hexdigest()
            v1 = {"id": v1_id, **({"parent": parent} if parent else {}), **v1}
            path = f"{v1_id}/layer.tar"
            if f"{v1_id}/" not in self.entries_by_path:
                self._dir(f"{v1_id}/", mtime)
                self._file(f"{v1_id}/VERSION", b"1.0", mtime)
                self._file(f"{v1_id}/json", _go_json(v1), mtime)
                self._layer(path, diff_id, mtime)
            paths.append(path)
            parent = v1_id
        self._file(f"{record.id.partition(':')[2]}.json", image.raw, mtime)
        return paths, parent

    def _config_path(self, record: ImageRecord) -> str:
        hex_ = record.id.partition(":")[2]
        return f"blobs/sha256/{hex_}" if self.oci else f"{hex_}.json"

    # -- Docker 25 layout ------------------------------------------------------------------

    def _oci_image(self, record: ImageRecord) -> tuple[list[str], str]:
        image = self.images.image(record.id)
        mtime = _mtime(image.created)
        self._dir("blobs/", 0)
        self._dir("blobs/sha256/", mtime)
        paths = []
        for diff_id in record.diff_ids:
            path = "blobs/sha256/" + diff_id.partition(":")[2]
            if path not in self.entries_by_path:
                self._layer(path, diff_id, mtime)
            paths.append(path)
        self._file(self._config_path(record), image.raw, mtime)
        return paths, record.diff_ids[-1].partition(":")[2]

    def _index_entries(
        self, record: ImageRecord, tags: Sequence[Reference]
    ) -> list[dict[str, Any]]:
        layers = [
            {"mediaType": OCI_LAYER, "digest": d, "size": self._diff_size(d)}
            for d in record.diff_ids
        ]
        config = {
            "mediaType": OCI_CONFIG,
            "digest": record.id,
            "size": len(self.images.image(record.id).raw),
        }
        manifest = _go_json(
            {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}
        )
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        self._file("blobs/sha256/" + digest.partition(":")[2], manifest, 0)
        descriptor = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest)}
        if not tags:
            return [descriptor]
        return [
            descriptor
            | {"annotations": {ANNOTATION_IMAGE_NAME: str(t), ANNOTATION_REF_NAME: t.tag}}
            for t in tags
        ]

    # -- entries ---------------------------------------------------------------------------

    def _dir(self, path: str, mtime: int) -> None:
        self.entries_by_path.setdefault(path, _Entry(path=path, kind="dir", mtime=mtime))

    def _file(self, path: str, data: bytes, mtime: int = 0) -> None:
        self.entries_by_path[path] = _Entry(path=path, kind="file", mtime=mtime, data=data)

    def _layer(self, path: str, diff_id: str, mtime: int) -> None:
        first = self.layer_paths.get(diff_id)
        if first is not None:
            target = posixpath.relpath(first, posixpath.dirname(path))
            self.entries_by_path[path] = _Entry(path, "symlink", mtime, target=target)
            return
        blob = self._blob(diff_id)
        self.entries_by_path[path] = _Entry(path, "layer", mtime, layer=blob)
        self.layer_paths[diff_id] = path

    def _blob(self, diff_id: str) -> LayerBlob:
        """The layer's blob, with its uncompressed size (counted once, then remembered)."""
        blob = self.images.store.layer(diff_id)
        if blob is None or not self.images.content.exists(blob.digest):
            raise errdefs.NotFound(f"layer {diff_id} is not in the content store")
        if blob.diff_size < 0:
            size = sum(len(chunk) for chunk in _inflate(self.images, blob))
            blob = LayerBlob(blob.diff_id, blob.digest, blob.media_type, blob.size, size)
            self.images.store.put_layer(blob)
        return blob

    def _diff_size(self, diff_id: str) -> int:
        return self._blob(diff_id).diff_size


def _write(images: ImageService, tar: tarfile.TarFile, entry: _Entry) -> None:
    info = tarfile.TarInfo(entry.path.rstrip("/"))
    info.mtime = entry.mtime
    info.uname = info.gname = "root"
    if entry.kind == "dir":
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    elif entry.kind == "symlink":
        info.type, info.mode, info.linkname = tarfile.SYMTYPE, 0o777, entry.target
        tar.addfile(info)
    elif entry.kind == "file":
        info.mode, info.size = 0o644, len(entry.data)
        tar.addfile(info, io.BytesIO(entry.data))
    else:
        assert entry.layer is not None
        info.mode, info.size = 0o644, entry.layer.diff_size
        reader = _Verified(_inflate(images, entry.layer))
        tar.addfile(info, reader)  # tarfile reads exactly info.size bytes
        reader.check(entry.layer)


def _inflate(images: ImageService, blob: LayerBlob) -> Iterator[bytes]:
    """The uncompressed tar of a layer blob, in chunks."""
    with images.content.open(blob.digest) as raw:
        stream = open_layer(raw)
        while chunk := stream.read(CHUNK):
            yield chunk


class _Verified:
    """A file-like view of chunks that hashes what it hands out (the diff_id check)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._offset = 0
        self._sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if self._offset >= len(self._buffer):
            self._buffer, self._offset = next(self._chunks, b""), 0
        end = len(self._buffer) if n < 0 else self._offset + n
        data = self._buffer[self._offset : end]
        self._offset += len(data)
        self._sha.update(data)
        return data

    def check(self, blob: LayerBlob) -> None:
        digest = "sha256:" + self._sha.hexdigest()
        rest = self._offset < len(self._buffer) or next(self._chunks, b"")
        if digest != blob.diff_id or rest:
            raise errdefs.Unknown(
                f"layer {blob.diff_id} in blob {blob.digest} does not match its diff_id"
            )


def _v1_config(raw: bytes | None, os: str) -> dict[str, Any]:
    """The legacy per-layer json: the image's own config fields for the top layer, an empty
    one dated the epoch for the others."""
    doc: dict[str, Any] = {
        "created": "1970-01-01T00:00:00Z",
        "container_config": {"Cmd": None, "Env": None, "Image": "", "Labels": None},
    }
    if raw is not None:
        full = json.loads(raw)
        doc = {k: v for k, v in full.items() if k not in ("rootfs", "history", "os.features")}
    doc["os"] = os or "linux"
    return doc


def _mtime(created: str) -> int:
    return timefmt.to_ns(created) // 1_000_000_000 if created else 0


def _go_json(value: Any) -> bytes:
    """Compact JSON as Go's encoding/json writes it (no spaces, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
