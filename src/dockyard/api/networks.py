"""Network routes (moby's network router): list, inspect, create, remove, connect,
disconnect, prune.

Network operations are synchronous (netlink, nftables, SQLite) and run in worker threads;
connect and disconnect change a container, so they go through the container backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from dockyard import errdefs
from dockyard.api import httputils
from dockyard.api.errors import Forbidden
from dockyard.api.routes import Route, delete, get, post
from dockyard.network.model import Refused

Filters = dict[str, list[str]]


class NetworksBackend(Protocol):
    """daemon.networks (network/service.py's NetworkService)."""

    def list(self, filters: Filters | None = None) -> list[dict[str, Any]]: ...

    def inspect(self, ref: str) -> dict[str, Any]: ...

    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def remove(self, ref: str) -> None: ...

    def prune(self, filters: Filters | None = None) -> dict[str, Any]: ...


class ContainerNetworks(Protocol):
    """daemon.containers: connect and disconnect change the container too."""

    async def connect_network(
        self, network: str, container: str, endpoint_config: dict[str, Any] | None
    ) -> None: ...

    async def disconnect_network(self, network: str, container: str, *, force: bool) -> None: ...


class NetworksRouter:
    def __init__(self, backend: NetworksBackend, containers: ContainerNetworks) -> None:
        self._backend = backend
        self._containers = containers

    def routes(self) -> list[Route]:
        return [
            get("/networks", self.list),
            post("/networks/create", self.create),
            post("/networks/prune", self.prune),
            get("/networks/{id}", self.inspect),
            delete("/networks/{id}", self.remove),
            post("/networks/{id}/connect", self.connect),
            post("/networks/{id}/disconnect", self.disconnect),
        ]

    async def list(self, request: web.Request) -> web.Response:
        filters = httputils.filters_from_json(request.query.get("filters", ""))
        nets = await asyncio.to_thread(self._backend.list, filters)
        return httputils.json_response(nets)

    async def inspect(self, request: web.Request) -> web.Response:
        ref = request.match_info["id"]
        return httputils.json_response(await asyncio.to_thread(self._backend.inspect, ref))

    async def create(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="network.CreateRequest") or {}
        try:
            doc = await asyncio.to_thread(self._backend.create, _canonical(body))
        except Refused as err:
            raise Forbidden(str(err)) from None
        return httputils.json_response(doc, status=201)

    async def remove(self, request: web.Request) -> web.Response:
        ref = request.match_info["id"]
        try:
            await asyncio.to_thread(self._backend.remove, ref)
        except Refused as err:
            raise Forbidden(str(err)) from None
        return httputils.empty(204)

    async def prune(self, request: web.Request) -> web.Response:
        filters = httputils.filters_from_json(request.query.get("filters", ""))
        return httputils.json_response(await asyncio.to_thread(self._backend.prune, filters))

    async def connect(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="network.ConnectOptions") or {}
        container = _field(body, "Container")
        if not isinstance(container, str) or not container:
            raise errdefs.InvalidArgument("no container specified")
        cfg = _field(body, "EndpointConfig")
        await self._containers.connect_network(
            request.match_info["id"], container, cfg if isinstance(cfg, dict) else None
        )
        return httputils.empty(200)

    async def disconnect(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="network.DisconnectOptions") or {}
        container = _field(body, "Container")
        if not isinstance(container, str) or not container:
            raise errdefs.InvalidArgument("no container specified")
        await self._containers.disconnect_network(
            request.match_info["id"], container, force=bool(_field(body, "Force"))
        )
        return httputils.empty(200)


def _field(body: Mapping[str, Any], key: str) -> Any:
    """Go's case-insensitive match of JSON keys to struct fields."""
    return next((v for k, v in body.items() if k.lower() == key.lower()), None)


def _canonical(body: Mapping[str, Any]) -> dict[str, Any]:
    """The create body with Docker's field names whatever case the client used."""
    keys = ("Name", "Driver", "Scope", "Internal", "Attachable", "Ingress", "IPAM",
            "EnableIPv4", "EnableIPv6", "Options", "Labels", "ConfigOnly",
            "ConfigFrom")  # fmt: skip
    out = {k: _field(body, k) for k in keys if _field(body, k) is not None}
    ipam = out.get("IPAM")
    if isinstance(ipam, dict):
        out["IPAM"] = {
            k: _field(ipam, k)
            for k in ("Driver", "Config", "Options")
            if _field(ipam, k) is not None
        }
        configs = out["IPAM"].get("Config") or []
        out["IPAM"]["Config"] = [
            {k: _field(c, k) for k in ("Subnet", "IPRange", "Gateway", "AuxiliaryAddresses")
             if isinstance(c, dict) and _field(c, k) is not None}
            for c in configs
        ]  # fmt: skip
    return out
