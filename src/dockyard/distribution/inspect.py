"""Manifest inspection without pulling: `GET /distribution/{name}/json` and
`docker manifest inspect [-v]`.

The Engine API answer (moby api/server/router/distribution) is the top descriptor plus the
platforms it serves: every entry's platform for an index, the config's for one manifest.
`docker manifest inspect` prints the manifest as served; with -v, one ImageManifest object
per platform (Ref, Descriptor with platform, Raw, and SchemaV2Manifest or OCIManifest).
"""

from __future__ import annotations

import base64
from typing import Any

from dockyard.distribution.client import RegistryClient
from dockyard.distribution.manifests import (
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    Descriptor,
    parse_config_rootfs,
    parse_index,
    parse_manifest,
    refuse_schema1,
)
from dockyard.distribution.platforms import Platform
from dockyard.images.reference import Reference
from dockyard.utils import jsonfast


async def distribution_inspect(ref: Reference, *, client: RegistryClient) -> dict[str, Any]:
    """{"Descriptor": {mediaType, digest, size}, "Platforms": [...]} for `ref`."""
    desc, data = await _top(ref, client)
    platforms: list[dict[str, Any]] = []
    if desc.media_type in INDEX_TYPES:
        for entry in parse_index(data).manifests:
            if entry.platform is not None:
                platforms.append(_platform_json(entry.platform))
    elif desc.media_type in MANIFEST_TYPES:
        platform = await _config_platform(ref, data, client)
        if platform.os or platform.architecture:
            platforms.append(_platform_json(platform))
    return {
        "Descriptor": {"mediaType": desc.media_type, "digest": desc.digest, "size": desc.size},
        "Platforms": platforms,
    }


async def manifest_inspect(ref: Reference, *, client: RegistryClient, verbose: bool = False) -> Any:
    """What `docker manifest inspect` prints: the manifest document, or with `verbose` the
    ImageManifest objects (a list for an index, one object for a single manifest)."""
    desc, data = await _top(ref, client)
    if not verbose:
        return jsonfast.loads(data)
    if desc.media_type not in INDEX_TYPES:
        platform = await _config_platform(ref, data, client)
        return _image_manifest(str(ref), desc, platform, data)
    found = []
    for entry in parse_index(data).manifests:
        if entry.media_type not in MANIFEST_TYPES:
            continue
        child_ref = ref.with_digest(entry.digest)
        _, child = await client.fetch_manifest(child_ref)
        found.append(_image_manifest(f"{ref.name}@{entry.digest}", entry, entry.platform, child))
    return found


async def _top(ref: Reference, client: RegistryClient) -> tuple[Descriptor, bytes]:
    desc = await client.resolve(ref)
    refuse_schema1(desc.media_type, str(ref))
    fetched, data = await client.fetch_manifest(ref.with_digest(desc.digest))
    return Descriptor(media_type=desc.media_type, digest=fetched.digest, size=len(data)), data


async def _config_platform(ref: Reference, data: bytes, client: RegistryClient) -> Platform:
    manifest = parse_manifest(data)
    config = await client.read_blob(ref, manifest.config)
    platform, _ = parse_config_rootfs(config)
    return platform


def _platform_json(platform: Platform) -> dict[str, Any]:
    return platform.as_json()


def _image_manifest(
    name: str, desc: Descriptor, platform: Platform | None, data: bytes
) -> dict[str, Any]:
    descriptor = {"mediaType": desc.media_type, "digest": desc.digest, "size": desc.size}
    if platform is not None:
        descriptor["platform"] = platform.as_json()
    key = "SchemaV2Manifest" if desc.media_type == DOCKER_MANIFEST else "OCIManifest"
    return {
        "Ref": name,
        "Descriptor": descriptor,
        "Raw": base64.b64encode(data).decode(),
        key: jsonfast.loads(data),
    }
