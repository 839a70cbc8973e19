"""System routes: /_ping, /version, /info, /events, /system/df, /auth (moby's system router)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from dockyard import errdefs
from dockyard.api import errors, httputils, streams
from dockyard.api.routes import Route, get, head, post

Filters = dict[str, list[str]]


class SystemBackend(Protocol):
    """daemon.system: the documents of `docker version`, `docker info`, `docker system df`."""

    def version(self) -> dict[str, Any]: ...

    def info(self) -> dict[str, Any]: ...

    async def df(self) -> dict[str, Any]: ...

    async def auth(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def ping_headers(self) -> dict[str, str]: ...


class EventsBackend(Protocol):
    """daemon.events: the past events from `since`, then live ones until `until` ("" = for
    ever), each a Docker events.Message document."""

    def subscribe(
        self, *, since: str, until: str, filters: Filters
    ) -> AsyncIterator[dict[str, Any]]: ...


class SystemRouter:
    def __init__(self, system: SystemBackend, events: EventsBackend) -> None:
        self._system = system
        self._events = events

    def routes(self) -> list[Route]:
        return [
            get("/_ping", self.ping),
            head("/_ping", self.ping),
            get("/events", self.events),
            get("/info", self.info),
            get("/version", self.version),
            get("/system/df", self.disk_usage),
            post("/auth", self.auth),
            post("/build/prune", self.build_prune),
        ]

    async def ping(self, request: web.Request) -> web.Response:
        """ "OK", with what the CLI reads from the headers: API-Version, OSType,
        Builder-Version (1: the classic builder), Docker-Experimental, Swarm."""
        headers = {
            "Cache-Control": "no-cache, no-store, must-revalidate",
            "Pragma": "no-cache",
            "Builder-Version": "1",
            "Docker-Experimental": "false",
            "Swarm": "inactive",
        }
        headers.update(self._system.ping_headers())
        if request.method == "HEAD":
            headers["Content-Type"] = "text/plain; charset=utf-8"
            headers["Content-Length"] = "0"
            return web.Response(headers=headers)
        return web.Response(body=b"OK", headers=headers, content_type="text/plain")

    async def version(self, request: web.Request) -> web.Response:
        return httputils.json_response(self._system.version())

    async def info(self, request: web.Request) -> web.Response:
        return httputils.json_response(self._system.info())

    async def disk_usage(self, request: web.Request) -> web.Response:
        kinds = request.query.getall("type", [])
        unknown = [k for k in kinds if k not in ("container", "image", "volume", "build-cache")]
        if unknown:
            raise errdefs.InvalidArgument(f"unknown object type: {unknown[0]}")
        usage = await self._system.df()
        if kinds:
            usage = _only(usage, kinds)
        return httputils.json_response(usage)

    async def auth(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="registry.AuthConfig") or {}
        try:
            answer = await self._system.auth(body)
        except errdefs.FailedPrecondition as err:
            # The registry's 401: moby answers errdefs.Unauthorized, which the CLI reads as
            # "ask for the password again".
            raise errors.Unauthorized(str(err)) from err
        return httputils.json_response(answer)

    async def build_prune(self, request: web.Request) -> web.Response:
        """Nothing to prune until the builder keeps a cache (system df shows BuildCache []),
        but `docker system prune` and `builder prune` call this and must not fail on it."""
        httputils.filters_from_json(request.query.get("filters", ""))  # 400 on bad filters
        return httputils.json_response({"CachesDeleted": None, "SpaceReclaimed": 0})

    async def events(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        filters = httputils.filters_from_json(query.get("filters", ""))
        items = self._events.subscribe(
            since=query.get("since", ""), until=query.get("until", ""), filters=filters
        )
        return await streams.stream_json(request, items, content_type="application/json")


_DF_FIELDS = {
    "container": ("Containers",),
    "image": ("Images", "LayersSize"),
    "volume": ("Volumes",),
    "build-cache": ("BuildCache",),
}


def _only(usage: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    """system df ?type=: only the asked-for parts (API 1.42+)."""
    keep = {name for kind in kinds for name in _DF_FIELDS[kind]}
    dropped = {name for names in _DF_FIELDS.values() for name in names} - keep
    return {k: v for k, v in usage.items() if k not in dropped}
