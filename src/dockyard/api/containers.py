"""Container routes (moby's container router): lifecycle, inspection, logs, files, attach.

Status codes are moby's: create and commit 201, start/stop/kill/... 204, start of a running
or stop of a stopped container 304, resize and archive PUT 200 with an empty body. Attach
hijacks the connection (hijack.py) once the container is known to exist and not to be paused,
so those errors are still ordinary HTTP answers.
"""

from __future__ import annotations

import base64
import builtins
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from dockyard import errdefs
from dockyard.api import errors, hijack, httputils, streams
from dockyard.api.routes import Route, delete, get, head, post, put
from dockyard.containers.streams import Conn

log = logging.getLogger(__name__)
Filters = dict[str, list[str]]
WAIT_CONDITIONS = ("not-running", "next-exit", "removed")


class ContainersBackend(Protocol):
    """The part of containers.service.ContainerService these routes use."""

    def inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]: ...

    def list(
        self,
        *,
        all: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Filters | None = None,
    ) -> builtins.list[dict[str, Any]]: ...

    async def create(
        self, *, name: str, body: dict[str, Any], platform: str = "", api_version: str = "1.51"
    ) -> tuple[str, builtins.list[str]]: ...

    async def start(self, ref: str) -> bool: ...

    async def stop(self, ref: str, *, signal: str = "", timeout: int | None = None) -> bool: ...

    async def kill(self, ref: str, *, signal: str = "KILL") -> None: ...

    async def restart(self, ref: str, *, signal: str = "", timeout: int | None = None) -> None: ...

    async def pause(self, ref: str) -> None: ...

    async def unpause(self, ref: str) -> None: ...

    async def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None: ...

    async def waiter(
        self, ref: str, *, condition: str = "not-running"
    ) -> Callable[[], Awaitable[dict[str, Any]]]: ...

    async def rename(self, ref: str, new_name: str) -> None: ...

    async def update(self, ref: str, body: dict[str, Any]) -> builtins.list[str]: ...

    async def prune(self, *, filters: Filters | None = None) -> dict[str, Any]: ...

    async def attach(
        self,
        ref: str,
        conn: Conn,
        *,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        stream: bool,
        logs: bool,
        detach_keys: str = "",
    ) -> None: ...

    async def resize(self, ref: str, *, height: int, width: int) -> None: ...

    def logs(
        self,
        ref: str,
        *,
        follow: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        since: str = "",
        until: str = "",
        timestamps: bool = False,
        tail: str = "all",
    ) -> AsyncIterator[bytes]: ...

    async def top(self, ref: str, *, ps_args: str = "-ef") -> dict[str, Any]: ...

    def stats(
        self, ref: str, *, stream: bool = True, one_shot: bool = False
    ) -> AsyncIterator[dict[str, Any]]: ...

    async def changes(self, ref: str) -> builtins.list[dict[str, Any]]: ...

    def export(self, ref: str) -> AsyncIterator[bytes]: ...

    async def archive_stat(self, ref: str, path: str) -> dict[str, Any]: ...

    async def archive_get(
        self, ref: str, path: str
    ) -> tuple[dict[str, Any], AsyncIterator[bytes]]: ...

    async def archive_put(
        self,
        ref: str,
        path: str,
        body: AsyncIterator[bytes],
        *,
        no_overwrite_dir_non_dir: bool = False,
        copy_uid_gid: bool = False,
    ) -> None: ...

    async def commit(
        self,
        ref: str,
        *,
        repo: str = "",
        tag: str = "",
        comment: str = "",
        author: str = "",
        pause: bool = True,
        changes: builtins.list[str] | None = None,
        config: dict[str, Any] | None = None,
    ) -> str: ...

    async def exec_create(self, ref: str, body: dict[str, Any]) -> str: ...

    async def exec_start(
        self, exec_id: str, *, detach: bool, tty: bool | None = None, conn: Conn | None = None
    ) -> None: ...

    def exec_inspect(self, exec_id: str) -> dict[str, Any]: ...

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None: ...


class ContainersRouter:
    def __init__(self, backend: ContainersBackend, *, headers: dict[str, str]) -> None:
        self._backend = backend
        self._headers = headers

    def routes(self) -> list[Route]:
        b = "/containers/{name:.*}"
        return [
            head(b + "/archive", self.archive_head),
            get("/containers/json", self.list_all),
            get(b + "/export", self.export),
            get(b + "/changes", self.changes),
            get(b + "/json", self.inspect),
            get(b + "/top", self.top),
            get(b + "/logs", self.logs),
            get(b + "/stats", self.stats),
            get(b + "/attach/ws", self.attach_ws),
            get(b + "/archive", self.archive_get),
            post("/containers/create", self.create),
            post("/containers/prune", self.prune),
            post(b + "/kill", self.kill),
            post(b + "/pause", self.pause),
            post(b + "/unpause", self.unpause),
            post(b + "/restart", self.restart),
            post(b + "/start", self.start),
            post(b + "/stop", self.stop),
            post(b + "/wait", self.wait),
            post(b + "/resize", self.resize),
            post(b + "/attach", self.attach),
            post(b + "/rename", self.rename),
            post(b + "/update", self.update),
            post("/commit", self.commit),
            put(b + "/archive", self.archive_put),
            delete(b, self.remove),
        ]

    # -- listing and inspection ---------------------------------------------------------------

    async def list_all(self, request: web.Request) -> web.Response:
        query = request.query
        filters = httputils.filters_from_json(query.get("filters", ""))
        limit = httputils.atoi(query, "limit")
        found = self._backend.list(
            all=httputils.bool_value(query, "all"),
            limit=-1 if limit is None or limit <= 0 else limit,
            size=httputils.bool_value(query, "size"),
            filters=filters,
        )
        return httputils.json_response(found)

    async def inspect(self, request: web.Request) -> web.Response:
        size = httputils.bool_value(request.query, "size")
        return httputils.json_response(self._backend.inspect(_name(request), size=size))

    async def top(self, request: web.Request) -> web.Response:
        ps_args = request.query.get("ps_args", "") or "-ef"
        return httputils.json_response(await self._backend.top(_name(request), ps_args=ps_args))

    async def changes(self, request: web.Request) -> web.Response:
        return httputils.json_response(await self._backend.changes(_name(request)))

    async def logs(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        stdout, stderr = (
            httputils.bool_value(query, "stdout"),
            httputils.bool_value(query, "stderr"),
        )
        if not (stdout or stderr):
            raise errdefs.InvalidArgument("must specify at least one of 'stdout' or 'stderr'")
        name = _name(request)
        tty = bool(self._backend.inspect(name).get("Config", {}).get("Tty"))
        chunks = self._backend.logs(
            name,
            follow=httputils.bool_value(query, "follow"),
            stdout=stdout,
            stderr=stderr,
            since=query.get("since", ""),
            until="" if query.get("until", "") == "0" else query.get("until", ""),
            timestamps=httputils.bool_value(query, "timestamps"),
            tail=query.get("tail", "") or "all",
        )
        return await streams.stream_bytes(request, chunks, content_type=_stream_type(request, tty))

    async def stats(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        stream = httputils.bool_or_default(query, "stream", True)
        one_shot = httputils.bool_or_default(query, "one-shot", False)
        docs = self._backend.stats(_name(request), stream=stream, one_shot=one_shot)
        return await streams.stream_json(request, docs, content_type="application/json")

    async def export(self, request: web.Request) -> web.StreamResponse:
        chunks = self._backend.export(_name(request))
        return await streams.stream_bytes(request, chunks, content_type="application/x-tar")

    # -- lifecycle ----------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body = await httputils.read_create_json(request)
        cid, warnings = await self._backend.create(
            name=request.query.get("name", ""),
            body=body,
            platform=httputils.platform_value(request.query),
            api_version=httputils.api_version(request),
        )
        return httputils.json_response({"Id": cid, "Warnings": warnings or []}, status=201)

    async def start(self, request: web.Request) -> web.Response:
        # Docker checks the request's Content-Length: 7 bytes leave room for "null" or "{}".
        length = request.content_length
        if (length is None and request.body_exists) or (length or 0) > 7:
            raise errdefs.InvalidArgument(
                "starting container with non-empty request body was deprecated since API"
                " v1.22 and removed in v1.24"
            )
        started = await self._backend.start(_name(request))
        return httputils.empty(204 if started else 304)

    async def stop(self, request: web.Request) -> web.Response:
        signal, timeout = _stop_options(request)
        stopped = await self._backend.stop(_name(request), signal=signal, timeout=timeout)
        return httputils.empty(204 if stopped else 304)

    async def restart(self, request: web.Request) -> web.Response:
        signal, timeout = _stop_options(request)
        await self._backend.restart(_name(request), signal=signal, timeout=timeout)
        return httputils.empty(204)

    async def kill(self, request: web.Request) -> web.Response:
        name = _name(request)
        try:
            await self._backend.kill(name, signal=request.query.get("signal", "") or "KILL")
        except errdefs.DockyardError as err:
            raise errors.wrap(err, f"cannot kill container: {name}") from err
        return httputils.empty(204)

    async def pause(self, request: web.Request) -> web.Response:
        await self._backend.pause(_name(request))
        return httputils.empty(204)

    async def unpause(self, request: web.Request) -> web.Response:
        await self._backend.unpause(_name(request))
        return httputils.empty(204)

    async def rename(self, request: web.Request) -> web.Response:
        await self._backend.rename(_name(request), request.query.get("name", ""))
        return httputils.empty(204)

    async def update(self, request: web.Request) -> web.Response:
        body = await httputils.read_json(request, type_name="container.UpdateConfig") or {}
        warnings = await self._backend.update(_name(request), body)
        return httputils.json_response({"Warnings": warnings or []})

    async def remove(self, request: web.Request) -> web.Response:
        query = request.query
        await self._backend.remove(
            _name(request),
            force=httputils.bool_value(query, "force"),
            volumes=httputils.bool_value(query, "v"),
            link=httputils.bool_value(query, "link"),
        )
        return httputils.empty(204)

    async def prune(self, request: web.Request) -> web.Response:
        filters = httputils.filters_from_json(request.query.get("filters", ""))
        return httputils.json_response(await self._backend.prune(filters=filters))

    async def wait(self, request: web.Request) -> web.StreamResponse:
        """The headers go out at once (API 1.30+): the docker CLI waits for them before it
        starts the container, so `next-exit` is registered before the start it is about."""
        condition = request.query.get("condition", "") or "not-running"
        if condition not in WAIT_CONDITIONS:
            raise errdefs.InvalidArgument(f"invalid condition: {json.dumps(condition)}")
        result = await self._backend.waiter(_name(request), condition=condition)
        response = web.StreamResponse()
        response.content_type = "application/json"
        async with streams.cancel_on_disconnect(request):
            await response.prepare(request)
            try:
                status = await result()
            except errdefs.DockyardError as err:  # the status line is gone: say it in the body
                status = {"Error": {"Message": str(err)}, "StatusCode": -1}
            document = {k: v for k, v in status.items() if not (k == "Error" and v is None)}
            await response.write(httputils.json_bytes(document))
            await response.write_eof()
        return response

    async def commit(self, request: web.Request) -> web.Response:
        query = request.query
        config = await httputils.read_json(request, type_name="container.Config")
        pause = not ("pause" in query and not httputils.bool_value(query, "pause"))
        image_id = await self._backend.commit(
            query.get("container", ""),
            repo=query.get("repo", ""),
            tag=query.get("tag", ""),
            comment=query.get("comment", ""),
            author=query.get("author", ""),
            pause=pause,
            changes=query.getall("changes", []),
            config=config,
        )
        return httputils.json_response({"Id": image_id}, status=201)

    # -- files --------------------------------------------------------------------------------

    async def archive_head(self, request: web.Request) -> web.Response:
        stat = await self._backend.archive_stat(_name(request), _archive_path(request))
        return web.Response(headers={_STAT_HEADER: _stat_header(stat)})

    async def archive_get(self, request: web.Request) -> web.StreamResponse:
        stat, chunks = await self._backend.archive_get(_name(request), _archive_path(request))
        headers = {_STAT_HEADER: _stat_header(stat)}
        return await streams.stream_bytes(
            request, chunks, content_type="application/x-tar", headers=headers
        )

    async def archive_put(self, request: web.Request) -> web.Response:
        query = request.query
        path = _archive_path(request)
        await self._backend.archive_put(
            _name(request),
            path,
            request.content.iter_chunked(1 << 16),
            no_overwrite_dir_non_dir="noOverwriteDirNonDir" in query
            and httputils.bool_value(query, "noOverwriteDirNonDir"),
            copy_uid_gid=httputils.bool_value(query, "copyUIDGID"),
        )
        return httputils.empty(200)

    # -- attach -------------------------------------------------------------------------------

    async def resize(self, request: web.Request) -> web.Response:
        height = httputils.uint32_value(request.query, "h", "height")
        width = httputils.uint32_value(request.query, "w", "width")
        await self._backend.resize(_name(request), height=height, width=width)
        return httputils.empty(200)

    async def attach(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        name = _name(request)
        state = self._backend.inspect(name)
        if state.get("State", {}).get("Paused"):
            raise errdefs.Conflict("You cannot attach to a paused container, unpause it first")
        if state.get("State", {}).get("Restarting"):
            raise errdefs.Conflict(
                "You cannot attach to a restarting container, wait until it is running"
            )
        tty = bool(state.get("Config", {}).get("Tty"))
        conn = hijack.hijack(
            request, content_type=_stream_type(request, tty), headers=self._headers
        )
        try:
            await self._backend.attach(
                name,
                conn,
                stdin=httputils.bool_value(query, "stdin"),
                stdout=httputils.bool_value(query, "stdout"),
                stderr=httputils.bool_value(query, "stderr"),
                stream=httputils.bool_value(query, "stream"),
                logs=httputils.bool_value(query, "logs"),
                detach_keys=query.get("detachKeys", ""),
            )
        except (errdefs.DockyardError, ConnectionError) as err:
            # The answer's head is gone: moby logs the error and closes the connection.
            log.info("attach to %s ended: %s", name, err)
        finally:
            conn.close()
        return hijack.unsent()

    async def attach_ws(self, request: web.Request) -> web.Response:
        raise errdefs.Unimplemented("attach over websocket is not supported")


_STAT_HEADER = "X-Docker-Container-Path-Stat"


def _name(request: web.Request) -> str:
    return request.match_info["name"]


def _stream_type(request: web.Request, tty: bool) -> str:
    """Multiplexed without a TTY (API 1.42+ says so in the Content-Type), raw with one."""
    if tty or httputils.version_less_than(httputils.api_version(request), "1.42"):
        return hijack.RAW_STREAM
    return hijack.MULTIPLEXED_STREAM


def _stop_options(request: web.Request) -> tuple[str, int | None]:
    query = request.query
    signal = ""
    if not httputils.version_less_than(httputils.api_version(request), "1.42"):
        signal = query.get("signal", "")
    return signal, httputils.atoi(query, "t")


def _archive_path(request: web.Request) -> str:
    path = request.query.get("path", "")
    if not path:
        raise errdefs.InvalidArgument("bad parameter: path cannot be empty")
    return path


def _stat_header(stat: dict[str, Any]) -> str:
    """base64 of the PathStat JSON, as moby's setContainerPathStatHeader."""
    raw = json.dumps(stat, separators=(",", ":")).encode()
    return base64.b64encode(raw).decode()
