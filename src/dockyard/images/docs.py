"""Docker's Engine API documents for images: ImageInspect, ImageSummary, HistoryResponseItem.

Shaped as moby's image router writes them for the client's API version (1.24 to 1.51,
docker-engine-api-v1.51.yaml): before 1.44 an image also shows `VirtualSize`; before 1.45
`Container` and `ContainerConfig`; before 1.50 its `Config` carries every field of the old
container.Config (`Hostname`, `AttachStdin`...), and 1.50-1.51 still always show `Cmd`,
`Entrypoint`, `Env`, `Labels`, `OnBuild`, `User`, `Volumes` and `WorkingDir`, null or empty.
Lists are sorted and maps' keys are sorted, as Go's encoding/json writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.images import timefmt
from dockyard.images.image import Image, config_doc
from dockyard.images.reference import Reference
from dockyard.images.store import ImageRecord

API_VERSION = "1.51"
MISSING = "<missing>"  # history entries of layers that are not images of their own

_OCI_ORDER = (
    "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
    "StopSignal", "ArgsEscaped", "Healthcheck", "OnBuild", "Shell",
)  # fmt: skip
# container.Config's field order, in which API < 1.50 showed an image's Config.
_CONTAINER_ORDER = (
    "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
    "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "ArgsEscaped",
    "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled", "OnBuild", "Labels",
    "StopSignal", "StopTimeout", "Shell",
)  # fmt: skip
# moby's legacyConfigFields: shown even when empty, per API version.
_ALWAYS_1_50: dict[str, Any] = {
    "Cmd": None, "Entrypoint": None, "Env": None, "Labels": None, "OnBuild": None, "User": "",
    "Volumes": None, "WorkingDir": "",
}  # fmt: skip
_ALWAYS_1_49: dict[str, Any] = _ALWAYS_1_50 | {
    "AttachStderr": False, "AttachStdin": False, "AttachStdout": False, "Domainname": "",
    "Hostname": "", "Image": "", "OpenStdin": False, "StdinOnce": False, "Tty": False,
}  # fmt: skip
# container.Config fields without omitempty: a zero container.Config shows all of these.
_CONTAINER_ZERO: dict[str, Any] = _ALWAYS_1_49


def version(text: str) -> tuple[int, int]:
    """An API version "1.41" as (1, 41); InvalidArgument when malformed."""
    major, _, minor = text.partition(".")
    if not major.isdigit() or not minor.isdigit():
        raise errdefs.InvalidArgument(f"invalid API version {text!r}")
    return int(major), int(minor)


def split_references(references: Sequence[Reference]) -> tuple[list[str], list[str]]:
    """(RepoTags, RepoDigests) in familiar form."""
    tags = [r.familiar() for r in references if r.tag and not r.digest]
    digests = [r.familiar() for r in references if r.digest]
    return tags, digests


def inspect_doc(
    *,
    image: Image,
    record: ImageRecord,
    references: Sequence[Reference],
    graph_driver: Mapping[str, Any] | None,
    api_version: str = API_VERSION,
) -> dict[str, Any]:
    """ImageInspect: `docker image inspect`. `graph_driver` is {"Name", "Data"} or None."""
    v = version(api_version)
    tags, digests = split_references(references)
    comment = image.comment or (image.history[-1].comment if image.history else "")
    created = timefmt.reformat(image.created) if image.created else ""
    legacy = v < (1, 52)
    doc: dict[str, Any] = {"Id": record.id, "RepoTags": tags, "RepoDigests": digests}
    if legacy or record.parent:
        doc["Parent"] = record.parent
    if legacy or comment:
        doc["Comment"] = comment
    if created or v < (1, 44):
        doc["Created"] = created or timefmt.ZERO_TIME
    if v < (1, 45):
        doc["Container"] = image.container
        doc["ContainerConfig"] = container_config_doc(image.container_config or {})
    if legacy or image.docker_version:
        doc["DockerVersion"] = image.docker_version
    if legacy or image.author:
        doc["Author"] = image.author
    doc["Config"] = image_config_doc(image, api_version=api_version)
    doc["Architecture"] = image.architecture
    if image.variant:
        doc["Variant"] = image.variant
    doc["Os"] = image.os or "linux"
    if image.os_version:
        doc["OsVersion"] = image.os_version
    doc["Size"] = record.size
    if v < (1, 44):
        doc["VirtualSize"] = record.size
    if graph_driver is not None:
        doc["GraphDriver"] = {"Data": graph_driver.get("Data"), "Name": graph_driver["Name"]}
    rootfs: dict[str, Any] = {"Type": image.rootfs_type} if image.rootfs_type else {}
    if image.diff_ids:
        rootfs["Layers"] = list(image.diff_ids)
    doc["RootFS"] = rootfs
    doc["Metadata"] = {"LastTagTime": record.last_tag_time or timefmt.ZERO_TIME}
    return doc


def image_config_doc(image: Image, *, api_version: str = API_VERSION) -> dict[str, Any]:
    """An image's Config as inspect shows it for `api_version`."""
    v = version(api_version)
    doc = config_doc(image.config)
    if v >= (1, 52):
        return doc
    order: tuple[str, ...]
    if v >= (1, 50):
        always, order = _ALWAYS_1_50, _OCI_ORDER
    else:
        always, order = _ALWAYS_1_49, _CONTAINER_ORDER
    merged = always | doc
    return {key: merged[key] for key in order if key in merged}


def container_config_doc(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A legacy `container_config` as Go marshals a container.Config (API < 1.45)."""
    folded = {str(k).lower(): v for k, v in raw.items()}
    doc: dict[str, Any] = {}
    for key in _CONTAINER_ORDER:
        value = folded.get(key.lower())
        if key in _CONTAINER_ZERO:
            doc[key] = _CONTAINER_ZERO[key] if value is None else value
        elif value:  # the omitempty fields
            doc[key] = value
    for key in ("ExposedPorts", "Volumes", "Labels"):
        if isinstance(doc.get(key), dict):
            doc[key] = dict(sorted(doc[key].items()))
    return doc


def history_doc(
    *,
    image: Image,
    layer_sizes: Sequence[int],
    lineage: Sequence[tuple[str, Sequence[str]]],
) -> list[dict[str, Any]]:
    """HistoryResponseItem list, newest first: `docker history`.

    `layer_sizes[i]` is the unpacked size of layer i (diff_ids order); `lineage` is the image
    then its parents, as (id, tags): Docker names the newest entries by those ids and shows
    the rest as "<missing>".
    """
    items: list[dict[str, Any]] = []
    layer = 0
    for entry in image.history:
        size = 0
        if not entry.empty_layer:
            if layer >= len(image.diff_ids):
                raise errdefs.Unknown("too many non-empty layers in History section")
            size = layer_sizes[layer] if layer < len(layer_sizes) else 0
            layer += 1
        items.insert(
            0,
            {
                "Comment": entry.comment,
                "Created": timefmt.unix_seconds(entry.created),
                "CreatedBy": entry.created_by,
                "Id": MISSING,
                "Size": size,
                "Tags": None,
            },
        )
    for item, (image_id, tags) in zip(items, lineage, strict=False):
        item["Id"] = image_id
        item["Tags"] = list(tags) or None
    return items


def summary_doc(
    *,
    record: ImageRecord,
    image: Image,
    tags: Sequence[str],
    digests: Sequence[str],
    containers: int,
    shared_size: int = -1,
    api_version: str = API_VERSION,
) -> dict[str, Any]:
    """ImageSummary: one row of `docker images` (GET /images/json)."""
    v = version(api_version)
    repo_tags: list[str] | None = list(tags)
    repo_digests: list[str] | None = list(digests)
    if v < (1, 43):
        # Old clients expect placeholders for untagged images, and null for an empty list.
        if not tags and not digests:
            repo_tags, repo_digests = ["<none>:<none>"], ["<none>@<none>"]
        repo_tags = repo_tags or None
        repo_digests = repo_digests or None
    labels = image.config.labels
    doc: dict[str, Any] = {
        "Containers": containers if v >= (1, 51) else -1,
        "Created": timefmt.unix_seconds(image.created),
        "Id": record.id,
        "Labels": dict(sorted(labels.items())) if labels is not None else None,
        "ParentId": record.parent,
        "RepoDigests": repo_digests,
        "RepoTags": repo_tags,
        "SharedSize": shared_size,
        "Size": record.size,
    }
    if v < (1, 44):
        doc["VirtualSize"] = record.size
    return doc


__all__ = [
    "API_VERSION",
    "container_config_doc",
    "history_doc",
    "image_config_doc",
    "inspect_doc",
    "split_references",
    "summary_doc",
    "version",
]
