"""Distribution routes: GET /distribution/{name}/json, the registry's view of an image."""

from __future__ import annotations

from aiohttp import web

from dockyard.api import httputils
from dockyard.api.images import ImagesBackend
from dockyard.api.routes import Route, get


class DistributionRouter:
    def __init__(self, backend: ImagesBackend) -> None:
        self._backend = backend

    def routes(self) -> list[Route]:
        return [get("/distribution/{name:.*}/json", self.inspect)]

    async def inspect(self, request: web.Request) -> web.Response:
        auth = httputils.decode_auth(request.headers.get(httputils.AUTH_HEADER, ""))
        found = await self._backend.distribution_inspect(request.match_info["name"], auth=auth)
        return httputils.json_response(found)
