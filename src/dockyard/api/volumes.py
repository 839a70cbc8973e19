"""Volume routes (moby's volume router): list, inspect, create, remove, prune.

The backend is synchronous (disk, kernel mounts, plugin calls): every call runs in a worker
thread so the loop never waits on a plugin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from dockyard import errdefs
from dockyard.api import httputils
from dockyard.api.routes import Route, delete, get, post

Filters = dict[str, list[str]]


class VolumesBackend(Protocol):
    """daemon.volumes (volumes/service.py's VolumeService)."""

    def list(self, filters: Filters | None = None) -> dict[str, Any]: ...

    def inspect(self, name: str) -> dict[str, Any]: ...

    def create_doc(
        self, *, name: str, driver: str, options: dict[str, str], labels: dict[str, str]
    ) -> dict[str, Any]: ...

    def remove(self, name: str, *, force: bool = False) -> None: ...

    def prune(self, filters: Filters | None = None) -> dict[str, Any]: ...


class VolumesRouter:
    def __init__(self, backend: VolumesBackend) -> None:
        self._backend = backend

    def routes(self) -> list[Route]:
        return [
            get("/volumes", self.list),
            post("/volumes/create", self.create),
            post("/volumes/prune", self.prune),
            get("/volumes/{name}", self.inspect),
            delete("/volumes/{name}", self.remove),
        ]

    async def list(self, request: web.Request) -> web.Response:
        try:
            filters = httputils.filters_from_json(request.query.get("filters", ""))
        except errdefs.InvalidArgument as err:
            raise errdefs.InvalidArgument(f"error reading volume filters: {err}") from None
        return httputils.json_response(await asyncio.to_thread(self._backend.list, filters))

    async def inspect(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return httputils.json_response(await asyncio.to_thread(self._backend.inspect, name))

    async def create(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="volume.CreateOptions") or {}
        doc = await asyncio.to_thread(
            lambda: self._backend.create_doc(
                name=_string(body, "Name"),
                driver=_string(body, "Driver"),
                options=_string_map(body, "DriverOpts"),
                labels=_string_map(body, "Labels"),
            )
        )
        return httputils.json_response(doc, status=201)

    async def remove(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        force = httputils.bool_value(request.query, "force")
        await asyncio.to_thread(lambda: self._backend.remove(name, force=force))
        return httputils.empty(204)

    async def prune(self, request: web.Request) -> web.Response:
        filters = httputils.filters_from_json(request.query.get("filters", ""))
        if httputils.version_less_than(httputils.api_version(request), "1.42"):
            filters.setdefault("all", []).append("true")  # before 1.42 prune meant all
        return httputils.json_response(await asyncio.to_thread(self._backend.prune, filters))


def _field(body: Mapping[str, Any], key: str) -> Any:
    """Go's case-insensitive match of JSON keys to struct fields."""
    return next((v for k, v in body.items() if k.lower() == key.lower()), None)


def _string(body: Mapping[str, Any], key: str) -> str:
    value = _field(body, key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal {type(value).__name__} into Go struct field "
            f"CreateOptions.{key} of type string"
        )
    return value


def _string_map(body: Mapping[str, Any], key: str) -> dict[str, str]:
    value = _field(body, key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise errdefs.InvalidArgument(
            f"invalid JSON: json: cannot unmarshal into Go struct field CreateOptions.{key} "
            "of type map[string]string"
        )
    return dict(value)
