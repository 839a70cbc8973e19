"""Image routes (moby's image router): pull and import, push, tag, rm, prune, save, load.

Names may hold slashes and colons (`localhost:5000/a/b:tag`), hence `{name:.*}` patterns.
Pull, push, import and load answer with JSON progress lines (streams.stream_progress).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Protocol

from aiohttp import web

from dockyard import errdefs
from dockyard.api import httputils, streams
from dockyard.api.routes import Route, delete, get, post
from dockyard.distribution.credentials import AuthConfig

Sink = Callable[[dict[str, Any]], None]
Filters = dict[str, list[str]]
SAVE_FIRST_WAIT = 2.0  # seconds save may take to refuse a name before the tar starts


class ByteSource(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


class ImagesBackend(Protocol):
    """daemon.image_ops (daemon/imageops.py's ImageOps)."""

    async def list(
        self,
        *,
        all: bool = False,
        filters: Filters | None = None,
        shared_size: bool = False,
        api_version: str = "1.51",
    ) -> builtins.list[dict[str, Any]]: ...

    async def inspect(self, name: str, *, api_version: str = "1.51") -> dict[str, Any]: ...

    async def history(self, name: str) -> builtins.list[dict[str, Any]]: ...

    async def distribution_inspect(
        self, name: str, *, auth: AuthConfig | None
    ) -> dict[str, Any]: ...

    async def pull(
        self,
        name: str,
        *,
        tag: str = "",
        platform: str = "",
        auth: AuthConfig | None = None,
        progress: Sink,
    ) -> None: ...

    async def push(
        self, name: str, *, tag: str = "", auth: AuthConfig | None = None, progress: Sink
    ) -> None: ...

    async def tag(self, source: str, *, repo: str, tag: str = "") -> None: ...

    async def remove(
        self, name: str, *, force: bool = False, noprune: bool = False
    ) -> builtins.list[dict[str, str]]: ...

    async def prune(self, *, filters: Filters | None = None) -> dict[str, Any]: ...

    async def import_image(
        self,
        body: ByteSource,
        *,
        repo: str = "",
        tag: str = "",
        changes: Sequence[str] = (),
        message: str = "",
        source: str = "-",
        platform: str = "",
        progress: Sink,
    ) -> str: ...

    async def load(self, body: ByteSource, *, quiet: bool, progress: Sink) -> None: ...

    def save(self, names: Sequence[str]) -> AsyncIterator[bytes]: ...


class ImagesRouter:
    def __init__(self, backend: ImagesBackend) -> None:
        self._backend = backend

    def routes(self) -> builtins.list[Route]:
        b = "/images/{name:.*}"
        return [
            get("/images/json", self.list),
            get("/images/search", self.search),
            get("/images/get", self.save),
            get(b + "/get", self.save),
            get(b + "/history", self.history),
            get(b + "/json", self.inspect),
            post("/images/load", self.load),
            post("/images/create", self.create),
            post(b + "/push", self.push),
            post(b + "/tag", self.tag),
            post("/images/prune", self.prune),
            delete(b, self.remove),
        ]

    async def list(self, request: web.Request) -> web.Response:
        query = request.query
        found = await self._backend.list(
            all=httputils.bool_value(query, "all"),
            filters=httputils.filters_from_json(query.get("filters", "")),
            shared_size=httputils.bool_value(query, "shared-size"),
            api_version=httputils.api_version(request),
        )
        return httputils.json_response(found)

    async def inspect(self, request: web.Request) -> web.Response:
        found = await self._backend.inspect(
            _name(request), api_version=httputils.api_version(request)
        )
        return httputils.json_response(found)

    async def history(self, request: web.Request) -> web.Response:
        return httputils.json_response(await self._backend.history(_name(request)))

    async def search(self, request: web.Request) -> web.Response:
        raise errdefs.Unimplemented("image search is not supported")

    async def create(self, request: web.Request) -> web.StreamResponse:
        """Pull (`fromImage`) or import (`fromSrc`, the body when "-")."""
        query = request.query
        auth = httputils.decode_auth(request.headers.get(httputils.AUTH_HEADER, ""))
        platform = httputils.platform_value(query)
        image = query.get("fromImage", "")
        if image:
            tag = query.get("tag", "")

            async def pull(sink: Sink) -> None:
                await self._backend.pull(
                    image, tag=tag, platform=platform, auth=auth, progress=sink
                )

            return await streams.stream_progress(request, pull)
        source = query.get("fromSrc", "")
        message = query.get("message", "") or f"Imported from {source}"

        async def import_(sink: Sink) -> None:
            await self._backend.import_image(
                request.content,
                repo=query.get("repo", ""),
                tag=query.get("tag", ""),
                changes=query.getall("changes", []),
                message=message,
                source=source,
                platform=platform,
                progress=sink,
            )

        return await streams.stream_progress(request, import_)

    async def push(self, request: web.Request) -> web.StreamResponse:
        auth = httputils.decode_auth(request.headers.get(httputils.AUTH_HEADER, ""))
        name, tag = _name(request), request.query.get("tag", "")

        async def push(sink: Sink) -> None:
            await self._backend.push(name, tag=tag, auth=auth, progress=sink)

        return await streams.stream_progress(request, push)

    async def tag(self, request: web.Request) -> web.Response:
        query = request.query
        await self._backend.tag(
            _name(request), repo=query.get("repo", ""), tag=query.get("tag", "")
        )
        return httputils.empty(201)

    async def remove(self, request: web.Request) -> web.Response:
        name = _name(request)
        if not name.strip():
            raise errdefs.InvalidArgument("image name cannot be blank")
        query = request.query
        records = await self._backend.remove(
            name,
            force=httputils.bool_value(query, "force"),
            noprune=httputils.bool_value(query, "noprune"),
        )
        return httputils.json_response(records)

    async def prune(self, request: web.Request) -> web.Response:
        filters = httputils.filters_from_json(request.query.get("filters", ""))
        return httputils.json_response(await self._backend.prune(filters=filters))

    async def save(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name")
        names = [name] if name is not None else request.query.getall("names", [])
        chunks = self._backend.save(names)
        return await streams.stream_bytes(
            request, chunks, content_type="application/x-tar", wait=SAVE_FIRST_WAIT
        )

    async def load(self, request: web.Request) -> web.StreamResponse:
        quiet = httputils.bool_or_default(request.query, "quiet", True)

        async def load(sink: Sink) -> None:
            await self._backend.load(request.content, quiet=quiet, progress=sink)

        # moby answers 200 and puts even an early error into the stream here.
        return await streams.stream_progress(request, load, errors_in_stream=True)


def _name(request: web.Request) -> str:
    return request.match_info["name"]
