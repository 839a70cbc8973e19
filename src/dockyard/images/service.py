"""ImageService: the image operations of the Engine API, with Docker's semantics.

    images = ImageService(store=ImageStore(db), content=LocalStore(...), snapshotter=sn)
    images.import_image(tar, repo_tag="busybox", changes=['CMD ["sh"]'])   # docker import
    images.inspect("busybox") / .history(...) / .list(filters=...)          # inspect, history, ls
    images.tag("busybox", "me/busybox:1")                                   # docker tag
    images.remove("me/busybox:1", in_use=containers_of)                     # docker rmi
    images.prune(all=True, in_use=containers_of)                            # docker image prune -a
    images.register_pulled(reference=..., manifest_digest=..., ...)         # after a pull
    images.content_roots()                                                  # for content GC

An image is its config blob (id = its digest) plus the committed snapshots of its layers
(chain ids) plus a Docker v2 schema 2 manifest in the content store, made at import or load
when the image did not come with one, so push needs only that manifest's digest.

`in_use` callables say which containers were created from an image (ImageUser records: id
and running); the daemon passes its container list's view. Mutations hold one lock: rm racing
tag, or two prunes, see a consistent store.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO

from dockyard import errdefs
from dockyard.content.store import Store
from dockyard.distribution import platforms
from dockyard.distribution.manifests import parse_manifest
from dockyard.images import archive, docs, ingest, listing, timefmt
from dockyard.images import reference as refs
from dockyard.images.changes import apply_changes
from dockyard.images.delete import Deleter, ImageUser, InUse
from dockyard.images.filters import FilterArgs
from dockyard.images.image import History, Image, config_json, parse_image
from dockyard.images.reference import Reference
from dockyard.images.store import ImageRecord, ImageStore, LayerBlob
from dockyard.snapshots import unpack
from dockyard.snapshots.graphdriver import DRIVER_NAME, graph_driver
from dockyard.snapshots.snapshotter import Snapshotter

__all__ = ["ImageService", "ImageUser", "InUse"]


class ImageService:
    """Image operations over the image store, the content store and the snapshotter."""

    def __init__(
        self,
        *,
        store: ImageStore,
        content: Store,
        snapshotter: Snapshotter,
        platform: platforms.Platform | None = None,
    ) -> None:
        self.store = store
        self.content = content
        self.snapshotter = snapshotter
        self.platform = platform or platforms.host_platform()
        self._lock = threading.RLock()
        self._configs: dict[str, Image] = {}

    # -- lookups ---------------------------------------------------------------------------

    def get(self, name: str) -> ImageRecord:
        """Resolve an id, id prefix or reference; NotFound "No such image: ..."."""
        return self.store.get(name)

    def image(self, image_id: str) -> Image:
        """The parsed config of an image (cached: a config never changes)."""
        image = self._configs.get(image_id)
        if image is None:
            image = parse_image(self.content.read(image_id))
            self._configs[image_id] = image
        return image

    def inspect(self, name: str, *, api_version: str = docs.API_VERSION) -> dict[str, Any]:
        """ImageInspect (GET /images/{name}/json)."""
        record = self.store.get(name)
        return docs.inspect_doc(
            image=self.image(record.id),
            record=record,
            references=self.store.references(record.id),
            graph_driver=self.graph_driver(record),
            api_version=api_version,
        )

    def history(self, name: str) -> builtins.list[dict[str, Any]]:
        """HistoryResponseItem list (GET /images/{name}/history), newest first."""
        record = self.store.get(name)
        lineage: builtins.list[tuple[str, builtins.list[str]]] = []
        current: ImageRecord | None = record
        while current is not None:
            tags, _ = docs.split_references(self.store.references(current.id))
            lineage.append((current.id, tags))
            current = self._by_id_or_none(current.parent) if current.parent else None
        return docs.history_doc(
            image=self.image(record.id),
            layer_sizes=[self.layer_size(c) for c in record.chain_ids],
            lineage=lineage,
        )

    def graph_driver(self, record: ImageRecord) -> dict[str, Any]:
        """GraphDriver of inspect: overlay2's names for the top layer's directories."""
        if not record.chain_ids:
            return {"Name": DRIVER_NAME, "Data": None}
        return graph_driver(self.snapshotter, record.chain_id)

    def list(
        self,
        *,
        all: bool = False,
        filters: FilterArgs | None = None,
        shared_size: bool = False,
        in_use: InUse | None = None,
        api_version: str = docs.API_VERSION,
    ) -> builtins.list[dict[str, Any]]:
        """ImageSummary list (GET /images/json), newest first: docker images."""
        return listing.list_images(
            self,
            all_images=all,
            filters=filters,
            shared_size=shared_size,
            in_use=in_use,
            api_version=api_version,
        )

    # -- changes ---------------------------------------------------------------------------

    def tag(self, source: str, target: str) -> Reference:
        """docker tag: point `target` (":latest" by default) at the image `source` names."""
        ref = refs.parse(target)
        if ref.digest:
            raise errdefs.InvalidArgument("refusing to create a tag with a digest reference")
        ref = refs.parse_with_default_tag(target)
        if ref.familiar_name() == "sha256":
            raise errdefs.InvalidArgument(
                "refusing to create an ambiguous tag using digest algorithm as name"
            )
        with self._lock:
            record = self.store.get(source)
            self.store.tag(record.id, ref, touch=True)
        return ref

    def remove(
        self,
        name: str,
        *,
        force: bool = False,
        noprune: bool = False,
        in_use: InUse | None = None,
    ) -> builtins.list[dict[str, str]]:
        """docker rmi: ImageDeleteResponseItem list ({"Untagged": ...}, {"Deleted": ...})."""
        if not name.strip():
            raise errdefs.InvalidArgument("image name cannot be blank")
        with self._lock:
            deleter = self._deleter(in_use)
            deleter.remove(name, force=force, prune=not noprune)
            self._forget(deleter.records)
            return deleter.records

    def prune(
        self,
        *,
        all: bool = False,
        filters: FilterArgs | None = None,
        in_use: InUse | None = None,
    ) -> dict[str, Any]:
        """docker image prune: {"ImagesDeleted": [...] or None, "SpaceReclaimed": bytes}."""
        with self._lock:
            deleter = self._deleter(in_use)
            report = deleter.prune(filters=filters, all_images=all)
            self._forget(deleter.records)
            return report

    def _deleter(self, in_use: InUse | None) -> Deleter:
        return Deleter(
            self.store,
            self.snapshotter,
            in_use=in_use,
            labels=lambda image_id: self.image(image_id).config.labels,
        )

    def _forget(self, records: Sequence[dict[str, str]]) -> None:
        for item in records:
            self._configs.pop(item.get("Deleted", ""), None)

    # -- new images ------------------------------------------------------------------------

    def import_image(
        self,
        stream: BinaryIO,
        *,
        repo_tag: str | None = None,
        changes: Sequence[str] = (),
        message: str = "",
        source: str = "-",
        platform: str | None = None,
    ) -> str:
        """docker import: a rootfs tar (plain, gzip or zstd) becomes a one-layer image;
        returns its id. `message` defaults to Docker's "Imported from <source>"."""
        target = _import_target(repo_tag) if repo_tag else None
        wanted = platforms.parse_platform(platform) if platform else self.platform
        if wanted.os != "linux":
            raise errdefs.InvalidArgument(
                f'image operating system "{wanted.os}" cannot be used on this platform'
            )
        config = apply_changes(changes)
        layer = ingest.ingest_layer(
            content=self.content, snapshotter=self.snapshotter, source=stream
        )
        try:
            created = timefmt.now_rfc3339()
            comment = message or f"Imported from {source}"
            raw = config_json(
                config=config,
                diff_ids=[layer.blob.diff_id],
                history=[History(created=created, comment=comment)],
                architecture=wanted.architecture,
                os=wanted.os,
                variant=wanted.variant,
                created=created,
                comment=comment,
            )
            with self._lock:
                record = self.register(config=raw, layers=[layer.blob])
                if target is not None:
                    self.store.tag(record.id, target, touch=True)
        except BaseException:
            if layer.created_snapshot and not self._chain_used(layer.chain_id):
                self.snapshotter.remove(layer.chain_id)
            raise
        return record.id

    def register(
        self,
        *,
        config: bytes,
        layers: Sequence[LayerBlob],
        manifest_digest: str = "",
        index_digest: str = "",
        parent: str = "",
    ) -> ImageRecord:
        """Record an image whose layers are unpacked already: the config blob is stored,
        and a schema 2 manifest made when `manifest_digest` is not given."""
        with self._lock:
            return self._register(config, layers, manifest_digest, index_digest, parent)

    def _register(
        self,
        config: bytes,
        layers: Sequence[LayerBlob],
        manifest_digest: str,
        index_digest: str,
        parent: str,
    ) -> ImageRecord:
        image = parse_image(config)
        if [layer.diff_id for layer in layers] != list(image.diff_ids):
            raise errdefs.InvalidArgument("image layers do not match the config's diff_ids")
        config_digest = self.content.put(config, expected=image.id)
        if not manifest_digest:
            manifest = ingest.schema2_manifest(
                config_digest=config_digest, config_size=len(config), layers=layers
            )
            manifest_digest = self.content.put(manifest)
        chain_ids = tuple(unpack.chain_ids(image.diff_ids))
        for layer in layers:
            self.store.put_layer(layer)
        record = ImageRecord(
            id=image.id,
            diff_ids=image.diff_ids,
            chain_ids=chain_ids,
            manifest_digest=manifest_digest,
            index_digest=index_digest,
            created=image.created,
            size=sum(self.layer_size(c) for c in chain_ids),
            parent=parent,
        )
        self._configs[image.id] = image
        return self.store.add(record)

    def register_pulled(
        self,
        *,
        reference: Reference,
        manifest_digest: str,
        config_digest: str,
        diff_ids: Sequence[str],
        chain_id: str,
        index_digest: str = "",
    ) -> ImageRecord:
        """Record an image distribution.pull has stored and unpacked (its Pulled fields),
        and name it as docker pull does: the tag, and repo@<index or manifest digest>."""
        manifest = parse_manifest(self.content.read(manifest_digest))
        if manifest.config.digest != config_digest or len(manifest.layers) != len(diff_ids):
            raise errdefs.InvalidArgument(f"manifest {manifest_digest} does not match its image")
        if diff_ids and unpack.chain_ids(diff_ids)[-1] != chain_id:
            raise errdefs.InvalidArgument(f"chain id {chain_id} does not match the diff ids")
        layers = [
            LayerBlob(diff_id, d.digest, d.media_type, d.size)
            for diff_id, d in zip(diff_ids, manifest.layers, strict=True)
        ]
        with self._lock:
            record = self.register(
                config=self.content.read(config_digest),
                layers=layers,
                manifest_digest=manifest_digest,
                index_digest=index_digest,
            )
            repository = reference.repository()
            if reference.tag and not reference.digest:
                self.store.tag(record.id, reference)
            digest = index_digest or manifest_digest
            self.store.tag(record.id, repository.with_digest(digest))
        return record

    def save(
        self, names: Sequence[str], out: BinaryIO, *, format: str = archive.FORMAT_DOCKER
    ) -> None:
        """docker save: the images `names` select as a tar ("docker" or "oci" layout)."""
        archive.save(self, names, out, format=format)

    def load(self, stream: BinaryIO) -> builtins.list[str]:
        """docker load: returns the "Loaded image: ..." lines Docker prints."""
        return archive.load(self, stream)

    # -- push and garbage collection -------------------------------------------------------

    def push_manifest(self, name: str) -> tuple[Reference, str]:
        """What `docker push name` sends: the reference and the manifest digest to push."""
        ref = refs.parse_with_default_tag(name)
        image_id = self.store.lookup(ref)
        if image_id is None:
            raise errdefs.NotFound(
                f"An image does not exist locally with the tag: {ref.familiar_name()}"
            )
        record = self.store.by_id(image_id)
        if not record.manifest_digest:
            raise errdefs.FailedPrecondition(f"image {record.id} has no manifest to push")
        return ref, record.manifest_digest

    def record_push(self, ref: Reference, manifest_digest: str) -> None:
        """After a push: the repository's digest joins the image's RepoDigests."""
        with self._lock:
            image_id = self.store.lookup(ref)
            if image_id is not None:
                self.store.tag(image_id, ref.repository().with_digest(manifest_digest))

    def content_roots(self) -> set[str]:
        """Every blob an image needs (configs, manifests, indexes, layers): the roots the
        content garbage collector marks from."""
        roots: set[str] = set()
        for record in self.store.list():
            roots.update((record.id, record.manifest_digest, record.index_digest))
            for diff_id in record.diff_ids:
                blob = self.store.layer(diff_id)
                if blob is not None:
                    roots.add(blob.digest)
        for references in self.store.all_references().values():
            roots.update(r.digest for r in references if r.digest)
        roots.discard("")
        return roots

    # -- helpers ---------------------------------------------------------------------------

    def layer_size(self, chain_id: str) -> int:
        """Unpacked bytes of one layer (its snapshot's own directory); 0 when gone."""
        try:
            return self.snapshotter.usage(chain_id).size
        except errdefs.NotFound:
            return 0

    def _chain_used(self, chain_id: str) -> bool:
        return any(chain_id in r.chain_ids for r in self.store.list())

    def _by_id_or_none(self, image_id: str) -> ImageRecord | None:
        try:
            return self.store.by_id(image_id)
        except errdefs.NotFound:
            return None


def _import_target(repo_tag: str) -> Reference:
    """RepoTagReference: the name an import is tagged with (":latest" by default)."""
    ref = refs.parse(repo_tag)
    if ref.digest:
        raise errdefs.InvalidArgument("cannot import digest reference")
    return refs.parse_with_default_tag(repo_tag)
