"""docker commit: a container's changes as a new image (moby daemon/commit.go, image_commit.go).

    image_id = commit(container=c, deps=deps, upper_dir=sn.upper_dir(c.id),
                      lower_dirs=sn.lower_dirs(c.id), repo="me/app", tag="v1", comment="",
                      author="", changes=['CMD ["sh"]'], config=None)

1. The reference is checked first (Docker's router does, before any work).
2. The config: `config` (the request body) or else the container's Config, with `changes`
   (Dockerfile instructions, images.changes) applied, then completed from the container's
   Config where left empty (moby's merge: Env and ExposedPorts, Labels and Volumes are
   unions; Cmd and Entrypoint come as a pair; Healthcheck field by field).
3. The layer: the rw snapshot's upper dir as a layer tar (snapshots.diff.write_diff), stored
   gzipped in the content store (a manifest can point at it, so the image can be pushed) and
   unpacked as a committed snapshot on the image's chain (images.ingest.ingest_layer), so
   containers of the new image share it. An empty upper dir adds no layer, only a history
   entry with empty_layer, as Docker's layer.IsEmpty case.
4. The image config is the parent's (platform, history) plus Docker's child fields:
   container, container_config, docker_version, author, a history entry whose created_by is
   the container's Cmd; it is registered with the parent link and tagged.

The image the container was created from may have been removed since (`rmi -f`): its config
blob usually still sits in the content store, and failing that any image that still has the
chain gives the diff ids; the new image then has no parent link. Events are the caller's.
Synchronous and blocking: run it in a thread, with the container paused or stopped.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from typing import Any

from dockyard import __version__, errdefs
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.distribution import platforms
from dockyard.images import ingest, timefmt
from dockyard.images import reference as refs
from dockyard.images.changes import apply_changes
from dockyard.images.image import History, Image, ImageConfig, config_json, parse_config
from dockyard.images.reference import Reference
from dockyard.images.service import ImageService
from dockyard.images.store import LayerBlob
from dockyard.snapshots import diff
from dockyard.utils.record import record, replace

__all__ = ["commit", "merge_config"]

log = logging.getLogger(__name__)

_OPAQUE = ("trusted.overlay.opaque", "user.overlay.opaque")


@record(frozen=True)
class _Parent:
    """What the new image builds on."""

    image: Image | None  # the parent's parsed config; None when it is gone
    diff_ids: tuple[str, ...]
    record_id: str  # the parent link ("" when the image record is gone)


def commit(
    *,
    container: Container,
    deps: ContainerDeps,
    upper_dir: str,
    lower_dirs: list[str],
    repo: str,
    tag: str,
    comment: str,
    author: str,
    changes: list[str],
    config: dict[str, Any] | None,
) -> str:
    """Commit the container's rw layer as a new image; returns its id ("sha256:...")."""
    target = _target(repo, tag)
    images = deps.images
    container_config = parse_config(container.config)
    requested = parse_config(config) if config is not None else container_config
    new_config = merge_config(apply_changes(changes, requested), container_config)
    parent = _parent(images, deps, container)
    layers = _parent_layers(images, parent.diff_ids)
    empty = _is_empty(upper_dir)
    ingested = None if empty else _ingest(deps, upper_dir, lower_dirs, parent.diff_ids)
    try:
        if ingested is not None:
            layers.append(ingested.blob)
        cmd = container.config.get("Cmd") or []
        created = timefmt.now_rfc3339()
        step = History(
            created=created,
            created_by=" ".join(cmd) if isinstance(cmd, list) else str(cmd),
            author=author,
            comment=comment,
            empty_layer=empty,
        )
        raw = _image_json(
            parent=parent.image,
            config=new_config,
            diff_ids=[layer.diff_id for layer in layers],
            history=[*(parent.image.history if parent.image else ()), step],
            created=created,
            author=author,
            container=container,
            platform=images.platform,
        )
        image_record = images.register(config=raw, layers=layers, parent=parent.record_id)
    except BaseException:
        if ingested is not None and ingested.created_snapshot:
            _drop_unused(images, ingested.chain_id)
        raise
    if target is not None:
        images.tag(image_record.id, target.familiar())
    return image_record.id


def _target(repo: str, tag: str) -> Reference | None:
    """httputils.RepoTagReference: the name to tag the new image with (":latest" default)."""
    if not repo:
        return None
    ref = refs.parse(repo)
    if ref.digest:
        raise errdefs.InvalidArgument("cannot import digest reference")  # sic, Docker's text
    return ref.with_tag(tag) if tag else refs.parse_with_default_tag(repo)


def merge_config(user: ImageConfig, image: ImageConfig) -> ImageConfig:
    """moby's merge(userConf, imageConf): `user` completed from `image` where it is empty."""
    ports = user.exposed_ports
    if not ports:
        ports = image.exposed_ports
    elif image.exposed_ports:
        ports = (*ports, *(p for p in image.exposed_ports if p not in ports))
    env = user.env
    if not env:
        env = image.env
    elif image.env:
        keys = {e.partition("=")[0] for e in env}
        env = (*env, *(e for e in image.env if e.partition("=")[0] not in keys))
    labels = dict(image.labels or {}) | dict(user.labels or {})
    cmd, entrypoint = user.cmd, user.entrypoint
    if not entrypoint:
        if not cmd:
            cmd = image.cmd
        if entrypoint is None:
            entrypoint = image.entrypoint
    health = user.healthcheck
    if image.healthcheck is not None:
        if health is None:
            health = image.healthcheck
        else:
            fields = ("test", "interval", "timeout", "start_period", "start_interval", "retries")
            filled = {f: getattr(image.healthcheck, f) for f in fields if not getattr(health, f)}
            health = replace(health, **filled)
    volumes = user.volumes
    if not volumes:
        volumes = image.volumes
    elif image.volumes:
        volumes = (*volumes, *(v for v in image.volumes if v not in volumes))
    return replace(
        user,
        user=user.user or image.user,
        exposed_ports=ports,
        env=env,
        labels=labels,
        cmd=cmd,
        entrypoint=entrypoint,
        healthcheck=health,
        working_dir=user.working_dir or image.working_dir,
        volumes=volumes,
        stop_signal=user.stop_signal or image.stop_signal,
    )


def _parent(images: ImageService, deps: ContainerDeps, container: Container) -> _Parent:
    record_id = container.image_id if images.store.exists(container.image_id) else ""
    try:
        image = images.image(container.image_id)
    except errdefs.NotFound:
        image = None
    if image is not None:
        return _Parent(image=image, diff_ids=image.diff_ids, record_id=record_id)
    # The config blob is gone too: any image with the rw layer's parent chain knows its diff
    # ids. Snapshots named after the container (an init layer, "<id>-init") are skipped.
    key = deps.snapshotter.stat(container.id).parent
    while key.startswith(container.id):
        key = deps.snapshotter.stat(key).parent
    if not key:
        return _Parent(image=None, diff_ids=(), record_id="")
    for other in images.store.list():
        if key in other.chain_ids:
            depth = other.chain_ids.index(key) + 1
            return _Parent(image=None, diff_ids=other.diff_ids[:depth], record_id="")
    raise errdefs.FailedPrecondition(
        f"cannot commit container {container.id}: its image {container.image_id} is gone "
        "and no other image has its layers"
    )


def _parent_layers(images: ImageService, diff_ids: Sequence[str]) -> list[LayerBlob]:
    """The blobs of the parent's layers, for the new image's manifest."""
    layers = []
    for diff_id in diff_ids:
        blob = images.store.layer(diff_id)
        if blob is None:
            raise errdefs.FailedPrecondition(
                f"cannot commit: no blob is known for the image's layer {diff_id}"
            )
        layers.append(blob)
    return layers


def _is_empty(upper_dir: str) -> bool:
    """No change at all: Docker then adds no layer (layer.IsEmpty of the diff)."""
    if os.listdir(upper_dir):
        return False
    for key in _OPAQUE:
        try:
            if os.getxattr(upper_dir, key) == b"y":
                return False
        except OSError:
            continue
    return True


def _ingest(
    deps: ContainerDeps, upper_dir: str, lower_dirs: list[str], parent_diff_ids: Sequence[str]
) -> ingest.Ingested:
    """The upper dir as a layer: spooled as a tar, then stored (gzip) and unpacked on the
    parent chain. The spool is an unnamed file on the data-root's filesystem."""
    with tempfile.TemporaryFile(dir=deps.data_root) as spool:
        diff.write_diff(lower_dirs, upper_dir, spool)
        spool.seek(0)
        return ingest.ingest_layer(
            content=deps.images.content,
            snapshotter=deps.snapshotter,
            source=spool,
            parent_diff_ids=parent_diff_ids,
        )


def _image_json(
    *,
    parent: Image | None,
    config: ImageConfig,
    diff_ids: list[str],
    history: list[History],
    created: str,
    author: str,
    container: Container,
    platform: platforms.Platform,
) -> bytes:
    """image.NewChildImage serialised like config_json: the parent's platform, the child's
    config, and the legacy container fields Docker 28 still writes."""
    base = config_json(
        config=config,
        diff_ids=diff_ids,
        history=history,
        architecture=(parent.architecture if parent else "") or platform.architecture,
        os="linux",
        variant=parent.variant if parent else platform.variant,
        created=created,
        author=author,
    )
    doc: dict[str, Any] = json.loads(base)
    doc["container"] = container.id
    doc["container_config"] = container.config
    doc["docker_version"] = __version__
    if parent is not None and parent.os_version:
        doc["os.version"] = parent.os_version
    top = {key: doc[key] for key in sorted(doc)}
    return json.dumps(top, separators=(",", ":"), ensure_ascii=False).encode()


def _drop_unused(images: ImageService, chain_id: str) -> None:
    """Remove a snapshot this commit made, unless an image uses it after all."""
    if any(chain_id in r.chain_ids for r in images.store.list()):
        return
    try:
        images.snapshotter.remove(chain_id)
    except errdefs.DockyardError as err:
        log.warning("failed to remove snapshot %s of a failed commit: %s", chain_id, err)
