"""Create: a Container built from a POST /containers/create body, with Docker's checks.

Nothing is written here: the caller makes the rw layer (rwlayer.py) and stores the record, so
a refused body leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.containers import names, netuse
from dockyard.containers.container import Container
from dockyard.containers.createconfig import parse_create
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.store import name_conflict
from dockyard.images import timefmt

log = logging.getLogger(__name__)


def build(
    deps: ContainerDeps,
    *,
    name: str,
    body: dict[str, Any],
    api_version: str,
    taken: Mapping[str, str],
    ids: Mapping[str, Container],
    lookup: netuse.Lookup,
) -> tuple[Container, list[str]]:
    """The new container (not yet stored) and Docker's warnings; `taken` maps names to ids,
    `lookup` finds other containers (--network container:<ref>)."""
    if not isinstance(body, dict):
        raise errdefs.InvalidArgument("config cannot be empty in order to create a container")
    name = names.validate(name) if name else names.generate(lambda n: n in taken)
    if name in taken:
        raise name_conflict(name, taken[name])
    image_ref = body.get("Image")
    if not isinstance(image_ref, str) or not image_ref:
        raise errdefs.InvalidArgument("No image specified")  # moby's create check
    record = deps.images.get(image_ref)
    image = deps.images.image(record.id)
    cid = _new_id(ids)
    req = parse_create(
        body,
        image=image,
        api_version=api_version,
        container_id=cid,
        defaults=deps.defaults,
        default_runtime=deps.default_runtime,
    )
    runtime = req.host_config.get("Runtime") or deps.default_runtime
    if runtime not in deps.runtimes:
        raise errdefs.InvalidArgument(f"Unknown runtime specified {runtime}")
    c = Container(
        id=cid,
        name=name,
        created=timefmt.now_rfc3339(),
        image_id=record.id,
        config=req.config,
        host_config=req.host_config,
        data_dir=os.path.join(deps.data_root, "containers", cid),
        exec_dir=os.path.join(deps.exec_root, "containers", cid),
    )
    netuse.prepare(deps, c, req.networking_config, lookup=lookup)
    c.mounts = list(req.mounts)
    c.chain_id = record.chain_id
    return c, list(req.warnings)


def _new_id(taken: Mapping[str, Container]) -> str:
    """64 hex digits that are not all numeric in the short form (Docker's rule)."""
    while True:
        cid = secrets.token_hex(32)
        if cid not in taken and not cid[:12].isdigit():
            return cid
