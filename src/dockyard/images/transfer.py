"""`docker pull` and `docker push` at the image level: distribution moves the bytes, the
image service names and records what arrived (or what left).

    pulled = await pull_image(service, "alpine", client=client, progress=sink)
    digest = await push_image(service, "localhost:5000/app:v1", client=client, progress=sink)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.distribution import platforms
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.pull import Pulled, pull
from dockyard.distribution.push import push
from dockyard.images import reference as refs
from dockyard.images.service import ImageService

Sink = Callable[[dict[str, Any]], None]


async def pull_image(
    service: ImageService,
    name: str,
    *,
    client: RegistryClient,
    platform: str = "",
    all_tags: bool = False,
    progress: Sink | None = None,
    max_concurrent_downloads: int = 3,
) -> list[Pulled]:
    """`docker pull [--platform P] [-a] NAME`: fetch, unpack, then record and tag each image.

    A name without tag or digest means `:latest` (unless -a). The image is recorded only
    once its layers are unpacked and verified, so a failed pull leaves no image behind.
    """
    ref = refs.parse(name) if all_tags else refs.parse_with_default_tag(name)
    want = platforms.parse_platform(platform) if platform else None

    async def on_pulled(pulled: Pulled) -> bool:
        before = service.store.lookup(pulled.reference)
        record = service.register_pulled(
            reference=pulled.reference,
            manifest_digest=pulled.manifest_digest,
            config_digest=pulled.config_digest,
            diff_ids=pulled.diff_ids,
            chain_id=pulled.chain_id,
            index_digest=pulled.index_digest,
        )
        return before != record.id  # Docker: "Downloaded newer image" only when it changed

    return await pull(
        ref,
        client=client,
        content=service.content,
        snapshotter=service.snapshotter,
        platform=want,
        progress=progress,
        all_tags=all_tags,
        max_concurrent_downloads=max_concurrent_downloads,
        on_pulled=on_pulled,
    )


async def push_image(
    service: ImageService,
    name: str,
    *,
    client: RegistryClient,
    progress: Sink | None = None,
) -> str:
    """`docker push NAME`: send the image's layers, config and manifest; return the digest,
    which then appears among the image's RepoDigests."""
    ref, manifest_digest = service.push_manifest(name)
    digest = await push(
        ref, client=client, content=service.content, manifest_digest=manifest_digest,
        progress=progress,
    )  # fmt: skip
    service.record_push(ref, digest)
    return digest
