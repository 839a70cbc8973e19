"""Engine API volume endpoints (docker's client/volume_*.go; docker-py's VolumeApiMixin)."""

from __future__ import annotations

from dockyard.client.images import path_quote
from dockyard.client.networks import trim_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from dockyard.client.transport import Client

    Filters = Mapping[str, Mapping[str, bool]]


def list(client: Client, *, filters: Filters | None = None) -> dict[str, Any]:
    """GET /volumes (`docker volume ls`): {"Volumes": [...], "Warnings": [...]}."""
    query = {"filters": filters} if filters else None
    result: dict[str, Any] = client.get("/volumes", query=query).json()
    return result


def inspect(client: Client, name: str) -> dict[str, Any]:
    """GET /volumes/{name} (`docker volume inspect`)."""
    result: dict[str, Any] = client.get(f"/volumes/{path_quote(trim_id('volume', name))}").json()
    return result


def create(
    client: Client,
    *,
    name: str = "",
    driver: str = "",
    driver_opts: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    cluster_volume_spec: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """POST /volumes/create (`docker volume create`): the new volume."""
    body: dict[str, Any] = {
        "Name": name,
        "Driver": driver,
        "DriverOpts": dict(driver_opts or {}),
        "Labels": dict(labels or {}),
    }
    if cluster_volume_spec is not None:
        body["ClusterVolumeSpec"] = dict(cluster_volume_spec)
    result: dict[str, Any] = client.post("/volumes/create", json=body).json()
    return result


def remove(client: Client, name: str, *, force: bool = False) -> None:
    """DELETE /volumes/{name} (`docker volume rm`)."""
    query = {"force": "1"} if force else None
    client.delete(f"/volumes/{path_quote(trim_id('volume', name))}", query=query).close()


def prune(client: Client, *, filters: Filters | None = None) -> dict[str, Any]:
    """POST /volumes/prune (`docker volume prune`): VolumesDeleted and SpaceReclaimed."""
    query = {"filters": filters} if filters else None
    result: dict[str, Any] = client.post("/volumes/prune", query=query).json()
    return result
