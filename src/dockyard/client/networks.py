"""Engine API network endpoints (docker's client/network_*.go; docker-py's NetworkApiMixin).

Functions take the `Client` first and keyword-only options and return the decoded JSON.
Names and IDs are trimmed and refused when empty, as docker's client does before any request
("invalid network name or ID: value is empty").
"""

from __future__ import annotations

import builtins

from dockyard import errdefs
from dockyard.client.images import path_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from dockyard.client.transport import Client

    Filters = Mapping[str, Mapping[str, bool]]


def trim_id(kind: str, value: str) -> str:
    """docker's trimID: the name without surrounding blanks, never empty."""
    value = value.strip()
    if not value:
        raise errdefs.InvalidArgument(f"invalid {kind} name or ID: value is empty")
    return value


def list(client: Client, *, filters: Filters | None = None) -> builtins.list[dict[str, Any]]:
    """GET /networks (`docker network ls`)."""
    query = {"filters": filters} if filters else None
    result: builtins.list[dict[str, Any]] = client.get("/networks", query=query).json()
    return result


def inspect(client: Client, ref: str, *, verbose: bool = False, scope: str = "") -> dict[str, Any]:
    """GET /networks/{id} (`docker network inspect`)."""
    query: dict[str, object] = {}
    if verbose:
        query["verbose"] = "true"
    if scope:
        query["scope"] = scope
    result: dict[str, Any] = client.get(
        f"/networks/{path_quote(trim_id('network', ref))}", query=query or None
    ).json()
    return result


def create(client: Client, name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """POST /networks/create (`docker network create`): {"Id", "Warning"}. `config` holds the
    NetworkCreateRequest fields besides Name (Driver, Scope, EnableIPv4, EnableIPv6, IPAM,
    Internal, Attachable, Ingress, ConfigOnly, ConfigFrom, Options, Labels)."""
    body = {"Name": name, **config}
    if _before(client.api_version, (1, 44)):
        # docker's client asks daemons before 1.44 to refuse a duplicate name (they would
        # make a second network of that name otherwise); the field is deprecated since.
        body["CheckDuplicate"] = True
    result: dict[str, Any] = client.post("/networks/create", json=body).json()
    return result


def _before(version: str, minimum: tuple[int, int]) -> bool:
    """Whether API `version` ("1.41") is older than `minimum` (Go's versions.LessThan)."""
    major, _, minor = version.partition(".")
    try:
        return (int(major), int(minor or 0)) < minimum
    except ValueError:
        return False


def remove(client: Client, ref: str) -> None:
    """DELETE /networks/{id} (`docker network rm`)."""
    client.delete(f"/networks/{path_quote(trim_id('network', ref))}").close()


def connect(
    client: Client, ref: str, container: str, *, endpoint: Mapping[str, Any] | None = None
) -> None:
    """POST /networks/{id}/connect (`docker network connect`)."""
    body = {"Container": trim_id("container", container), "EndpointConfig": endpoint}
    client.post(f"/networks/{path_quote(trim_id('network', ref))}/connect", json=body).close()


def disconnect(client: Client, ref: str, container: str, *, force: bool = False) -> None:
    """POST /networks/{id}/disconnect (`docker network disconnect`)."""
    body = {"Container": trim_id("container", container), "Force": force}
    client.post(f"/networks/{path_quote(trim_id('network', ref))}/disconnect", json=body).close()


def prune(client: Client, *, filters: Filters | None = None) -> dict[str, Any]:
    """POST /networks/prune (`docker network prune`): {"NetworksDeleted": [...]}."""
    query = {"filters": filters} if filters else None
    result: dict[str, Any] = client.post("/networks/prune", query=query).json()
    return result
