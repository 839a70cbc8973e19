"""`docker pull`: resolve, choose the platform, download layers in parallel, unpack in order.

The flow (moby's distribution/pull_v2.go and xfer/download.go, on containerd's content and
snapshot model):

1. resolve the tag (or digest) to a descriptor; an index / manifest list picks this host's
   manifest (or `platform`'s); schema 1 is refused.
2. fetch the manifest and the image config (from the content store when already there);
   the config's rootfs.diff_ids give the chain ids of the layers.
3. layers whose chain id is already a snapshot are "Already exists"; the others download in
   parallel (at most `max_concurrent_downloads`, one download per blob in the process), and
   each is unpacked (snapshots.layers.unpack_layer, in a thread) as soon as it is complete
   and its parent is unpacked: extraction of layer 1 overlaps the download of layers 2..n.
4. only then are the index, manifest and config written to the content store (with the
   labels that let the garbage collector walk them and a push mount their blobs): a failed
   pull leaves no image behind, only committed layers and resumable partial downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

from dockyard import errdefs
from dockyard.content.store import Store
from dockyard.distribution import labels as content_labels
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.manifests import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    Manifest,
    parse_config_rootfs,
    parse_index,
    parse_manifest,
    refuse_schema1,
)
from dockyard.distribution.platforms import Platform, host_platform, matches, select_manifest
from dockyard.distribution.progress import INTERVAL, ProgressOutput, Sink, short_id
from dockyard.images.reference import Reference
from dockyard.snapshots.layers import Extracted, commit_layer, discard, extract_layer
from dockyard.snapshots.snapshotter import Snapshotter
from dockyard.snapshots.unpack import chain_ids
from dockyard.utils.record import record


@record(frozen=True)
class Pulled:
    """One image a pull produced (one per tag with `all_tags`)."""

    reference: Reference
    manifest_digest: str
    config_digest: str
    diff_ids: tuple[str, ...]
    chain_id: str
    index_digest: str = ""


OnPulled = Callable[[Pulled], Awaitable[bool]]


async def pull(
    ref: Reference,
    *,
    client: RegistryClient,
    content: Store,
    snapshotter: Snapshotter | None,
    platform: Platform | None = None,
    progress: Sink | None = None,
    all_tags: bool = False,
    max_concurrent_downloads: int = 3,
    on_pulled: OnPulled | None = None,
) -> list[Pulled]:
    """Pull `ref` (every tag of its repository with `all_tags`) and return what was pulled.

    `snapshotter` None stores content only (no unpacking). `on_pulled` is the image store's
    hook (record and tag the image); it answers whether the tag changed, which decides
    between "Downloaded newer image" and "Image is up to date", as in Docker. Without it,
    any new content counts as newer.
    """
    out = ProgressOutput(progress)
    if all_tags:
        if ref.tag or ref.digest:
            raise errdefs.InvalidArgument("tag can't be used with --all-tags/-a")
        refs = [ref.with_tag(tag) for tag in await client.tags(ref)]
        if not refs:
            raise errdefs.NotFound(f"no tags found for {ref.familiar_name()}")
    else:
        refs = [ref if ref.tag or ref.digest else ref.with_tag("latest")]
    puller = _Puller(
        client=client,
        content=content,
        snapshotter=snapshotter,
        out=out,
        max_concurrent=max(1, max_concurrent_downloads),
    )
    results: list[Pulled] = []
    newer = False
    for one in refs:
        pulled, fresh = await puller.pull_one(one, platform)
        if on_pulled is not None:
            fresh = await on_pulled(pulled)
        newer = newer or fresh
        results.append(pulled)
    shown = ref.familiar_name() if all_tags else refs[0].familiar()
    if newer:
        out.message(f"Status: Downloaded newer image for {shown}")
    else:
        out.message(f"Status: Image is up to date for {shown}")
    return results


class _Puller:
    """The state one `pull` call shares between its tags."""

    def __init__(
        self,
        *,
        client: RegistryClient,
        content: Store,
        snapshotter: Snapshotter | None,
        out: ProgressOutput,
        max_concurrent: int,
    ) -> None:
        self.client = client
        self.content = content
        self.sn = snapshotter
        self.out = out
        self.max_concurrent = max_concurrent

    async def pull_one(self, ref: Reference, platform: Platform | None) -> tuple[Pulled, bool]:
        self.out.message(f"Pulling from {ref.path}", id=ref.digest or ref.tag)
        top = await self.client.resolve(ref)
        data = await self._manifest_bytes(ref, top)
        refuse_schema1(top.media_type, str(ref))
        index_data = b""
        desc = top
        if top.media_type in INDEX_TYPES:
            index_data = data
            entry = select_manifest(parse_index(data).raw_manifests, platform or host_platform())
            desc = Descriptor.from_json(entry, what="manifest list entry")
            data = await self._manifest_bytes(ref, desc)
            refuse_schema1(desc.media_type, str(ref))
        if desc.media_type not in MANIFEST_TYPES:
            raise errdefs.InvalidArgument(
                f"unsupported manifest media type {desc.media_type} for {ref.familiar()}"
            )
        manifest = parse_manifest(data)
        config = await self._config_bytes(ref, manifest.config)
        config_platform, diff_ids = parse_config_rootfs(config)
        if platform is not None and not index_data and not matches(platform, config_platform):
            raise errdefs.NotFound(
                f"image with reference {ref.familiar()} was found but its platform"
                f" ({config_platform}) does not match the specified platform ({platform})"
            )
        if len(diff_ids) != len(manifest.layers):
            raise errdefs.InvalidArgument(
                f"invalid image {ref.familiar()}: {len(manifest.layers)} layers but"
                f" {len(diff_ids)} diff_ids in the config"
            )
        chains = chain_ids(diff_ids)
        downloaded = await _Layers(self, ref, manifest, diff_ids, chains).run()
        fresh = await asyncio.to_thread(
            self._store, ref, top, index_data, desc, data, manifest, config, diff_ids
        )
        self.out.message(f"Digest: {top.digest}")
        pulled = Pulled(
            reference=ref,
            manifest_digest=desc.digest,
            config_digest=manifest.config.digest,
            diff_ids=diff_ids,
            chain_id=chains[-1] if chains else "",
            index_digest=top.digest if index_data else "",
        )
        return pulled, fresh or downloaded

    async def _manifest_bytes(self, ref: Reference, desc: Descriptor) -> bytes:
        if await asyncio.to_thread(self.content.exists, desc.digest):
            return await asyncio.to_thread(self.content.read, desc.digest)
        _, data = await self.client.fetch_manifest(ref.with_digest(desc.digest))
        return data

    async def _config_bytes(self, ref: Reference, desc: Descriptor) -> bytes:
        if await asyncio.to_thread(self.content.exists, desc.digest):
            return await asyncio.to_thread(self.content.read, desc.digest)
        return await self.client.read_blob(ref, desc)

    def _store(
        self,
        ref: Reference,
        top: Descriptor,
        index_data: bytes,
        desc: Descriptor,
        data: bytes,
        manifest: Manifest,
        config: bytes,
        diff_ids: Sequence[str],
    ) -> bool:
        """Write config, manifest and index (children first, so a reader that finds the
        parent finds what it names) with their labels; True if any of them is new."""
        source = content_labels.source(ref)
        new = False
        blobs: list[tuple[bytes, str, dict[str, str]]] = [
            (config, manifest.config.digest, source),
            (data, desc.digest, source | content_labels.manifest_refs(manifest)),
        ]
        if index_data:
            children = parse_index(index_data).manifests
            blobs.append((index_data, top.digest, source | content_labels.index_refs(children)))
        for body, digest, labels in blobs:
            if not self.content.exists(digest):
                self.content.put(body, expected=digest)
                new = True
            content_labels.merge(self.content, digest, labels)
        for layer, diff_id in zip(manifest.layers, diff_ids, strict=True):
            if self.content.exists(layer.digest):
                content_labels.merge(
                    self.content, layer.digest, source | content_labels.uncompressed(diff_id)
                )
        return new


# Layers extracted at once: this machine's cores; more only contend for the GIL and the disk.
_EXTRACTORS = 2


class _Layers:
    """The layer pipeline of one manifest: parallel downloads, in-order unpacking."""

    def __init__(
        self,
        puller: _Puller,
        ref: Reference,
        manifest: Manifest,
        diff_ids: Sequence[str],
        chains: Sequence[str],
    ) -> None:
        self.p = puller
        self.ref = ref
        self.layers = manifest.layers
        self.diff_ids = list(diff_ids)
        self.chains = list(chains)
        self.out = puller.out

    async def run(self) -> bool:
        """True when something was downloaded or unpacked."""
        present = await asyncio.to_thread(self._present)
        for layer in self.layers[:present]:
            self.out.update(short_id(layer.digest), "Already exists")
        todo = list(range(present, len(self.layers)))
        if not todo:
            return False
        for i in todo:
            self.out.update(short_id(self.layers[i].digest), "Pulling fs layer")
        slots = asyncio.Semaphore(self.p.max_concurrent)
        try:
            async with asyncio.TaskGroup() as group:
                downloads = {i: group.create_task(self._download(i, slots)) for i in todo}
                if self.p.sn is not None:
                    group.create_task(self._unpack_in_order(todo, downloads))
        except* Exception as group_error:
            raise first_error(group_error) from None
        return True

    def _present(self) -> int:
        """How many base layers need nothing: their chain's snapshot exists (or, without a
        snapshotter, their blob). A chain id names its parents, so the top one found wins."""
        for i in range(len(self.layers) - 1, -1, -1):
            if self.p.sn is None:
                if all(self.p.content.exists(layer.digest) for layer in self.layers[: i + 1]):
                    return i + 1
                continue
            try:
                self.p.sn.stat(self.chains[i])
            except errdefs.NotFound:
                continue
            return i + 1
        return 0

    async def _download(self, i: int, slots: asyncio.Semaphore) -> None:
        layer = self.layers[i]
        layer_id = short_id(layer.digest)
        if slots.locked():
            self.out.update(layer_id, "Waiting")
        async with slots:

            def report(current: int) -> None:
                self.out.progress(layer_id, "Downloading", current, layer.size)

            try:
                fetched = await self.p.client.downloads.fetch(
                    self.ref, layer, self.p.content, progress=report
                )
            except errdefs.InvalidArgument as err:
                raise errdefs.InvalidArgument(
                    f"filesystem layer verification failed for digest {layer.digest}: {err}"
                ) from err
        if fetched:
            self.out.update(layer_id, "Verifying Checksum")
        self.out.update(layer_id, "Download complete")

    async def _unpack_in_order(
        self, todo: list[int], downloads: dict[int, asyncio.Task[None]]
    ) -> None:
        """Extract each layer as soon as it is downloaded, several at once (a layer's own
        directory does not depend on its parents'), and commit them in order, each onto its
        parent's chain id. A failure discards every extracted, uncommitted layer."""
        sn = self.p.sn
        assert sn is not None
        slots = asyncio.Semaphore(_EXTRACTORS)
        extractions = {
            i: asyncio.ensure_future(self._extract(i, downloads[i], slots)) for i in todo
        }
        try:
            for i in todo:
                extracted = await extractions[i]
                parent = self.chains[i - 1] if i else ""
                try:
                    await asyncio.to_thread(commit_layer, sn, extracted, parent=parent)
                except errdefs.DockyardError as err:
                    raise type(err)(f"failed to register layer: {err}") from err
                self.out.update(short_id(self.layers[i].digest), "Pull complete")
        except BaseException:
            for task in extractions.values():
                task.cancel()
            # Threads cannot be cancelled: wait for every extraction, then discard them all.
            done = await asyncio.gather(*extractions.values(), return_exceptions=True)
            for result in done:
                if isinstance(result, Extracted):
                    await asyncio.to_thread(discard, sn, result)
            raise

    async def _extract(
        self, i: int, download: asyncio.Task[None], slots: asyncio.Semaphore
    ) -> Extracted:
        sn = self.p.sn
        assert sn is not None
        await download
        layer = self.layers[i]
        layer_id = short_id(layer.digest)
        loop = asyncio.get_running_loop()

        def report(current: int) -> None:
            self.out.progress(layer_id, "Extracting", current, layer.size)

        async with slots:
            path = await asyncio.to_thread(self.p.content.path, layer.digest)
            progress = thread_progress(loop, report)
            work = asyncio.ensure_future(
                asyncio.to_thread(
                    extract_layer, sn, path, diff_id=self.diff_ids[i], progress=progress
                )
            )
            try:
                extracted = await asyncio.shield(work)
            except asyncio.CancelledError:
                # A thread cannot be stopped: let it finish, then discard what it made.
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(discard, sn, await work)
                raise
            except errdefs.DockyardError as err:
                raise type(err)(f"failed to register layer: {err}") from err
        report(layer.size)
        return extracted


def first_error(group: BaseExceptionGroup[Exception]) -> Exception:
    """The error that stopped a task group (the others are its consequences: cancellations,
    or the same failure seen by a sibling), so callers see one error kind, not a group."""
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]  # type: ignore[assignment]
    return group


def thread_progress(
    loop: asyncio.AbstractEventLoop, report: Callable[[int], None]
) -> Callable[[int], None]:
    """A progress callback for a worker thread: hands updates to the loop, at most one per
    INTERVAL (the loop rate-limits again, but this spares it the wake-ups)."""
    last = [0.0]
    lock = threading.Lock()

    def callback(current: int) -> None:
        now = time.monotonic()
        with lock:
            if now - last[0] < INTERVAL:
                return
            last[0] = now
        loop.call_soon_threadsafe(report, current)

    return callback
