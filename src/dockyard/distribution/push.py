"""`docker push`: blobs first (skipping what the registry has, mounting what a sibling
repository has), then the manifest (and the index), as moby's distribution/push_v2.go does.

For each layer: HEAD -> "Layer already exists"; else, when the content store's labels say the
blob came from another repository of the same registry, a cross-repository mount ->
"Mounted from <repo>"; else an upload with "Pushing" progress -> "Pushed". The config is
pushed the same way, silently. Then the manifest goes up under the tag, and the CLI's last
line: "<tag>: digest: sha256:... size: N" (plus the aux message {"Tag", "Digest", "Size"}).
A pushed blob is labelled with its new repository, so later pushes can mount from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import BinaryIO

from dockyard import errdefs
from dockyard.content.store import Store
from dockyard.distribution import labels as content_labels
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.manifests import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_MANIFEST,
    Descriptor,
    media_type_of,
    parse_index,
    parse_manifest,
)
from dockyard.distribution.progress import ProgressOutput, Sink, short_id
from dockyard.distribution.pull import first_error
from dockyard.images.reference import Reference

MAX_MOUNT_CANDIDATES = 3  # moby tries a few source repositories, not all of them


async def push(
    ref: Reference,
    *,
    client: RegistryClient,
    content: Store,
    manifest_digest: str,
    progress: Sink | None = None,
    max_concurrent_uploads: int = 5,
) -> str:
    """Push the image whose manifest (or index) is `manifest_digest` in `content` to `ref`
    (its tag, "latest" by default, or its digest); returns the manifest's digest."""
    out = ProgressOutput(progress)
    out.message(f"The push refers to repository [{ref.name}]")
    pusher = _Pusher(client, content, ref, out, max(1, max_concurrent_uploads))
    data = await asyncio.to_thread(_read, content, manifest_digest)
    media_type = media_type_of(data, OCI_MANIFEST)
    if media_type in INDEX_TYPES:
        for child in parse_index(data).manifests:
            child_data = await asyncio.to_thread(_read, content, child.digest)
            await pusher.push_image(child_data, child.media_type or media_type_of(child_data, ""))
            await client.put_manifest(ref, child.digest, child.media_type, child_data)
    elif media_type in MANIFEST_TYPES:
        await pusher.push_image(data, media_type)
    else:
        raise errdefs.InvalidArgument(f"cannot push {manifest_digest}: media type {media_type}")
    tag = ref.tag or ("" if ref.digest else "latest")
    digest = await client.put_manifest(ref, tag or manifest_digest, media_type, data)
    await asyncio.to_thread(
        content_labels.merge, content, manifest_digest, content_labels.source(ref)
    )
    if tag:
        out.message(f"{tag}: digest: {digest} size: {len(data)}")
        out.aux({"Tag": tag, "Digest": digest, "Size": len(data)})
    return digest


def _read(content: Store, digest: str) -> bytes:
    try:
        return content.read(digest)
    except errdefs.NotFound:
        raise errdefs.NotFound(f"content {digest} is not in the content store") from None


class _Pusher:
    """One push: the repository, its progress output and the upload slots."""

    def __init__(
        self,
        client: RegistryClient,
        content: Store,
        ref: Reference,
        out: ProgressOutput,
        max_concurrent: int,
    ) -> None:
        self.client = client
        self.content = content
        self.ref = ref
        self.out = out
        self.slots = asyncio.Semaphore(max_concurrent)

    async def push_image(self, data: bytes, media_type: str) -> None:
        """The layers (with progress) and the config of one manifest."""
        manifest = parse_manifest(data)
        for layer in manifest.layers:
            self.out.update(short_id(layer.digest), "Preparing")
        try:
            async with asyncio.TaskGroup() as group:
                for layer in manifest.layers:
                    group.create_task(self._push_layer(layer))
        except* Exception as group_error:
            raise first_error(group_error) from None
        await self._push_blob(manifest.config, report=None)

    async def _push_layer(self, layer: Descriptor) -> None:
        layer_id = short_id(layer.digest)
        if self.slots.locked():
            self.out.update(layer_id, "Waiting")
        async with self.slots:

            def report(current: int) -> None:
                self.out.progress(layer_id, "Pushing", current, layer.size)

            outcome = await self._push_blob(layer, report=report)
        if outcome == "exists":
            self.out.update(layer_id, "Layer already exists")
        elif outcome.startswith("mounted:"):
            self.out.update(layer_id, f"Mounted from {outcome.removeprefix('mounted:')}")
        else:
            self.out.update(layer_id, "Pushed")

    async def _push_blob(self, desc: Descriptor, *, report: Callable[[int], None] | None) -> str:
        """ "exists", "mounted:<repo>" or "pushed"."""
        if await self.client.blob_exists(self.ref, desc.digest, push=True):
            await self._label(desc.digest)
            return "exists"
        info = await asyncio.to_thread(self.content.info, desc.digest)
        candidates = [
            repo
            for repo in content_labels.sources(info.labels, self.ref.domain)
            if repo != self.ref.path
        ]
        for candidate in candidates[:MAX_MOUNT_CANDIDATES]:
            if await self.client.mount_blob(self.ref, desc.digest, candidate):
                await self._label(desc.digest)
                return f"mounted:{candidate}"
        path = await asyncio.to_thread(self.content.path, desc.digest)

        def open_reader() -> BinaryIO:
            return open(path, "rb")

        await self.client.upload_blob(
            self.ref, desc.digest, info.size, open_reader, progress=report
        )
        await self._label(desc.digest)
        return "pushed"

    async def _label(self, digest: str) -> None:
        await asyncio.to_thread(
            content_labels.merge, self.content, digest, content_labels.source(self.ref)
        )
