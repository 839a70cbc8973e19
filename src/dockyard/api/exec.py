"""Exec routes (moby's container router, exec.go): create, start (hijacked), resize, inspect."""

from __future__ import annotations

import logging

from aiohttp import web

from dockyard import errdefs
from dockyard.api import hijack, httputils
from dockyard.api.containers import ContainersBackend
from dockyard.api.routes import Route, get, post
from dockyard.containers.streams import STDOUT, wire

log = logging.getLogger(__name__)


class ExecRouter:
    def __init__(self, backend: ContainersBackend, *, headers: dict[str, str]) -> None:
        self._backend = backend
        self._headers = headers

    def routes(self) -> list[Route]:
        return [
            get("/exec/{id:.*}/json", self.inspect),
            post("/containers/{name:.*}/exec", self.create),
            post("/exec/{name:.*}/start", self.start),
            post("/exec/{name:.*}/resize", self.resize),
        ]

    async def inspect(self, request: web.Request) -> web.Response:
        return httputils.json_response(self._backend.exec_inspect(request.match_info["id"]))

    async def create(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="container.ExecOptions") or {}
        if not body.get("Cmd"):
            raise errdefs.InvalidArgument("No exec command specified")
        exec_id = await self._backend.exec_create(request.match_info["name"], body)
        return httputils.json_response({"Id": exec_id}, status=201)

    async def resize(self, request: web.Request) -> web.Response:
        height = httputils.uint32_value(request.query, "h", "height")
        width = httputils.uint32_value(request.query, "w", "width")
        await self._backend.exec_resize(request.match_info["name"], height=height, width=width)
        return httputils.empty(200)

    async def start(self, request: web.Request) -> web.StreamResponse:
        """Detached: 200 once started. Otherwise the connection is hijacked before the process
        runs; an error after that is written into the stream, as moby does."""
        exec_id = request.match_info["name"]
        body = await httputils.read_json(request, type_name="container.ExecStartOptions") or {}
        detach = bool(body.get("Detach"))
        tty = body.get("Tty")
        if tty is not None and not isinstance(tty, bool):
            raise errdefs.InvalidArgument(
                "invalid JSON: json: cannot unmarshal into Go struct field"
                " ExecStartOptions.Tty of type bool"
            )
        self._backend.exec_inspect(exec_id)  # NotFound before the hijack
        if detach:
            await self._backend.exec_start(exec_id, detach=True, tty=tty)
            return httputils.empty(200)
        multiplexed = not tty and not httputils.version_less_than(
            httputils.api_version(request), "1.42"
        )
        content_type = hijack.MULTIPLEXED_STREAM if multiplexed else hijack.RAW_STREAM
        conn = hijack.hijack(request, content_type=content_type, headers=self._headers)
        try:
            await self._backend.exec_start(exec_id, detach=False, tty=tty, conn=conn)
        except errdefs.DockyardError as err:
            log.info("exec %s failed: %s", exec_id, err)
            try:
                await conn.write(wire(STDOUT, f"{err}\r\n".encode(), tty=bool(tty)))
            except ConnectionError:
                pass
        except ConnectionError as err:
            log.info("exec %s: client went away: %s", exec_id, err)
        finally:
            conn.close()
        return hijack.unsent()
