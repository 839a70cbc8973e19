"""Fakes of the API's backends (the Protocols next to each router) and a server to test on.

The API runs for real: aiohttp on a unix socket in a short temporary directory, spoken to
by aiohttp's client or by a raw socket where the test is about the bytes on the wire.
"""

from __future__ import annotations

import asyncio
import builtins
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from dockyard import errdefs
from dockyard.api.images import ByteSource, Sink
from dockyard.api.server import make_app
from dockyard.containers.streams import STDOUT, Conn, frame
from dockyard.distribution.credentials import AuthConfig

Filters = dict[str, list[str]]


class FakeSystem:
    def __init__(self) -> None:
        self.logins: list[dict[str, Any]] = []

    def version(self) -> dict[str, Any]:
        return {"Version": "28.2.2", "ApiVersion": "1.51", "MinAPIVersion": "1.24"}

    def info(self) -> dict[str, Any]:
        return {"Containers": 0, "OSType": "linux"}

    async def df(self) -> dict[str, Any]:
        return {"LayersSize": 1, "Images": [], "Containers": [], "Volumes": [], "BuildCache": []}

    async def auth(self, body: dict[str, Any]) -> dict[str, Any]:
        self.logins.append(body)
        if body.get("password") != "secret":
            raise errdefs.FailedPrecondition("unauthorized: incorrect username or password")
        return {"Status": "Login Succeeded", "IdentityToken": ""}

    def ping_headers(self) -> dict[str, str]:
        return {}


class FakeEvents:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.subscriptions: list[dict[str, Any]] = []
        self.closed = 0

    async def subscribe(
        self, *, since: str, until: str, filters: Filters
    ) -> AsyncIterator[dict[str, Any]]:
        if since == "bad":
            raise errdefs.InvalidArgument("invalid value for 'since'")
        self.subscriptions.append({"since": since, "until": until, "filters": filters})
        try:
            while True:
                yield await self.queue.get()
        finally:
            self.closed += 1


class FakeContainer:
    def __init__(self, cid: str, name: str, *, tty: bool = False) -> None:
        self.id = cid
        self.name = name
        self.tty = tty
        self.running = False
        self.paused = False
        self.exit = asyncio.Event()
        self.exit_code = 0


class FakeContainers:
    """Just enough container behaviour to test the routes: a dict of FakeContainers."""

    def __init__(self) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.calls: list[tuple[str, Any]] = []
        self.execs: dict[str, dict[str, Any]] = {}
        self.wait_registered = asyncio.Event()

    async def connect_network(
        self, network: str, container: str, endpoint_config: dict[str, Any] | None
    ) -> None:
        self.calls.append(("connect_network", (network, container, endpoint_config)))

    async def disconnect_network(self, network: str, container: str, *, force: bool) -> None:
        self.calls.append(("disconnect_network", (network, container, force)))

    def get(self, ref: str) -> FakeContainer:
        for c in self.containers.values():
            if ref in (c.id, c.name) or (len(ref) >= 3 and c.id.startswith(ref)):
                return c
        raise errdefs.NotFound(f"No such container: {ref}")

    def inspect(self, ref: str, *, size: bool = False) -> dict[str, Any]:
        c = self.get(ref)
        return {
            "Id": c.id,
            "Name": "/" + c.name,
            "Config": {"Tty": c.tty},
            "State": {"Running": c.running, "Paused": c.paused, "Restarting": False},
        }

    def list(
        self,
        *,
        all: bool = False,
        limit: int = -1,
        size: bool = False,
        filters: Filters | None = None,
    ) -> builtins.list[dict[str, Any]]:
        self.calls.append(("list", {"all": all, "limit": limit, "size": size, "filters": filters}))
        return [{"Id": c.id, "Names": ["/" + c.name]} for c in self.containers.values()]

    async def create(
        self, *, name: str, body: dict[str, Any], platform: str = "", api_version: str = "1.51"
    ) -> tuple[str, builtins.list[str]]:
        self.calls.append(("create", {"name": name, "body": body, "api_version": api_version}))
        if "Image" not in body:
            raise errdefs.InvalidArgument("config cannot be empty in order to create a container")
        cid = f"{len(self.containers) + 1:064x}"
        self.containers[cid] = FakeContainer(
            cid, name or "boring_wozniak", tty=bool(body.get("Tty"))
        )
        return cid, []

    async def start(self, ref: str) -> bool:
        c = self.get(ref)
        self.calls.append(("start", c.id))
        if c.running:
            return False
        c.running = True
        return True

    async def stop(self, ref: str, *, signal: str = "", timeout: int | None = None) -> bool:
        c = self.get(ref)
        self.calls.append(("stop", {"signal": signal, "timeout": timeout}))
        was = c.running
        c.running = False
        c.exit.set()
        return was

    async def kill(self, ref: str, *, signal: str = "KILL") -> None:
        c = self.get(ref)
        if not c.running:
            raise errdefs.Conflict(f"container {c.id} is not running")
        self.calls.append(("kill", signal))

    async def restart(self, ref: str, *, signal: str = "", timeout: int | None = None) -> None:
        self.get(ref).running = True

    async def pause(self, ref: str) -> None:
        self.get(ref).paused = True

    async def unpause(self, ref: str) -> None:
        self.get(ref).paused = False

    async def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        c = self.get(ref)
        if c.running and not force:
            raise errdefs.Conflict(
                f'cannot remove container "/{c.name}": container is running: stop the'
                " container before removing or force remove"
            )
        del self.containers[c.id]

    async def waiter(
        self, ref: str, *, condition: str = "not-running"
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        c = self.get(ref)
        c.exit.clear()
        self.calls.append(("wait", condition))
        self.wait_registered.set()

        async def result() -> dict[str, Any]:
            await c.exit.wait()
            return {"StatusCode": c.exit_code, "Error": None}

        return result

    async def rename(self, ref: str, new_name: str) -> None:
        self.get(ref).name = new_name

    async def update(self, ref: str, body: dict[str, Any]) -> builtins.list[str]:
        self.calls.append(("update", body))
        return []

    async def prune(self, *, filters: Filters | None = None) -> dict[str, Any]:
        self.calls.append(("prune", filters))
        return {"ContainersDeleted": None, "SpaceReclaimed": 0}

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
    ) -> None:
        """An echo container: every stdin chunk comes back as stdout; at stdin's EOF it
        says "bye" and exits (output after the client's half-close must still arrive)."""
        c = self.get(ref)
        self.calls.append(("attach", {"stdin": stdin, "stdout": stdout, "stream": stream}))
        while chunk := await conn.read():
            await conn.write(chunk if c.tty else frame(STDOUT, chunk))
        await asyncio.sleep(0.05)
        await conn.write(b"bye" if c.tty else frame(STDOUT, b"bye"))

    async def resize(self, ref: str, *, height: int, width: int) -> None:
        self.calls.append(("resize", (height, width)))

    async def logs(
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
    ) -> AsyncIterator[bytes]:
        c = self.get(ref)
        for line in (b"one\n", b"two\n"):
            yield line if c.tty else frame(STDOUT, line)

    async def top(self, ref: str, *, ps_args: str = "-ef") -> dict[str, Any]:
        self.get(ref)
        return {"Titles": ["PID"], "Processes": [["1"]], "ps_args": ps_args}

    async def stats(
        self, ref: str, *, stream: bool = True, one_shot: bool = False
    ) -> AsyncIterator[dict[str, Any]]:
        self.get(ref)
        for n in range(3 if stream else 1):
            yield {"read": str(n)}

    async def changes(self, ref: str) -> builtins.list[dict[str, Any]]:
        self.get(ref)
        return [{"Path": "/tmp", "Kind": 0}]

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        self.get(ref)
        yield b"tar"

    async def archive_stat(self, ref: str, path: str) -> dict[str, Any]:
        self.get(ref)
        if path != "/etc":
            raise errdefs.NotFound(f"Could not find the file {path} in container {ref}")
        return {"name": "etc", "size": 4096, "mode": 2147484141, "mtime": "", "linkTarget": ""}

    async def archive_get(self, ref: str, path: str) -> tuple[dict[str, Any], AsyncIterator[bytes]]:
        stat = await self.archive_stat(ref, path)

        async def chunks() -> AsyncIterator[bytes]:
            yield b"tar-of-etc"

        return stat, chunks()

    async def archive_put(
        self,
        ref: str,
        path: str,
        body: AsyncIterator[bytes],
        *,
        no_overwrite_dir_non_dir: bool = False,
        copy_uid_gid: bool = False,
    ) -> None:
        data = b"".join([chunk async for chunk in body])
        self.calls.append(("archive_put", (path, data, no_overwrite_dir_non_dir, copy_uid_gid)))

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
    ) -> str:
        self.get(ref)
        self.calls.append(
            ("commit", {"repo": repo, "tag": tag, "pause": pause, "changes": changes})
        )
        return "sha256:" + "c" * 64

    async def exec_create(self, ref: str, body: dict[str, Any]) -> str:
        c = self.get(ref)
        exec_id = f"{len(self.execs) + 1:064x}"
        self.execs[exec_id] = {"ID": exec_id, "ContainerID": c.id, "Cmd": body["Cmd"]}
        return exec_id

    async def exec_start(
        self, exec_id: str, *, detach: bool, tty: bool | None = None, conn: Conn | None = None
    ) -> None:
        record = self.exec_inspect(exec_id)
        self.calls.append(("exec_start", {"detach": detach, "tty": tty}))
        if record["Cmd"] == ["fail"]:
            raise errdefs.Conflict('OCI runtime exec failed: exec: "fail": not found')
        if conn is not None:
            data = b""
            while chunk := await conn.read():
                data += chunk
            await conn.write(data.upper() if tty else frame(STDOUT, data.upper()))

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        try:
            return self.execs[exec_id]
        except KeyError:
            raise errdefs.NotFound(f"No such exec instance: {exec_id}") from None

    async def exec_resize(self, exec_id: str, *, height: int, width: int) -> None:
        self.exec_inspect(exec_id)


class FakeImages:
    """ImagesBackend with canned answers; pull streams `self.pull_messages` then raises
    `self.pull_error` (if set)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.pull_messages: list[dict[str, Any]] = [
            {"status": "Pulling from library/busybox", "id": "latest"},
            {"status": "Pull complete", "progressDetail": {}, "id": "aaaaaaaaaaaa"},
            {"status": "Digest: sha256:" + "d" * 64},
            {"status": "Status: Downloaded newer image for busybox:latest"},
        ]
        self.pull_error: Exception | None = None
        self.pull_gate: asyncio.Event | None = None

    async def list(
        self,
        *,
        all: bool = False,
        filters: Filters | None = None,
        shared_size: bool = False,
        api_version: str = "1.51",
    ) -> builtins.list[dict[str, Any]]:
        self.calls.append(("list", {"all": all, "filters": filters, "api_version": api_version}))
        return []

    async def inspect(self, name: str, *, api_version: str = "1.51") -> dict[str, Any]:
        self.calls.append(("inspect", name))
        if name.startswith("missing"):
            raise errdefs.NotFound(f"No such image: {name}")
        return {"Id": "sha256:" + "a" * 64, "RepoTags": [name]}

    async def history(self, name: str) -> builtins.list[dict[str, Any]]:
        self.calls.append(("history", name))
        return []

    async def distribution_inspect(self, name: str, *, auth: AuthConfig | None) -> dict[str, Any]:
        self.calls.append(("distribution", {"name": name, "auth": auth}))
        return {"Descriptor": {}, "Platforms": []}

    async def pull(
        self,
        name: str,
        *,
        tag: str = "",
        platform: str = "",
        auth: AuthConfig | None = None,
        progress: Sink,
    ) -> None:
        self.calls.append(("pull", {"name": name, "tag": tag, "auth": auth}))
        for message in self.pull_messages:
            progress(message)
            if self.pull_gate is not None:
                await self.pull_gate.wait()
                self.pull_gate.clear()
        if self.pull_error is not None:
            raise self.pull_error

    async def push(
        self, name: str, *, tag: str = "", auth: AuthConfig | None = None, progress: Sink
    ) -> None:
        self.calls.append(("push", {"name": name, "tag": tag, "auth": auth}))
        progress({"status": f"The push refers to repository [{name}]"})

    async def tag(self, source: str, *, repo: str, tag: str = "") -> None:
        self.calls.append(("tag", (source, repo, tag)))

    async def remove(
        self, name: str, *, force: bool = False, noprune: bool = False
    ) -> builtins.list[dict[str, str]]:
        self.calls.append(("remove", (name, force, noprune)))
        return [{"Untagged": name}]

    async def prune(self, *, filters: Filters | None = None) -> dict[str, Any]:
        self.calls.append(("prune", filters))
        return {"ImagesDeleted": None, "SpaceReclaimed": 0}

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
    ) -> str:
        data = await body.read()
        self.calls.append(("import", {"data": data, "repo": repo, "changes": list(changes)}))
        progress({"status": "sha256:" + "e" * 64})
        return "sha256:" + "e" * 64

    async def load(self, body: ByteSource, *, quiet: bool, progress: Sink) -> None:
        await body.read()
        raise errdefs.InvalidArgument("unexpected EOF")

    async def save(self, names: Sequence[str]) -> AsyncIterator[bytes]:
        if "missing" in names:
            raise errdefs.NotFound("No such image: missing")
        yield b"saved:" + ",".join(names).encode()


class FakeDaemon:
    def __init__(self) -> None:
        self.containers = FakeContainers()
        self.image_ops = FakeImages()
        self.events = FakeEvents()
        self.system = FakeSystem()
        self.volumes: Any = None  # the volume routes are tested against the real service
        self.networks: Any = None  # no network routes: those need the kernel (compat tests)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a unix socket in a short temporary directory; yield its path."""
    directory = tempfile.mkdtemp(prefix="dyapi")
    path = f"{directory}/api.sock"
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.UnixSite(runner, path)
    await site.start()
    try:
        yield path
    finally:
        await runner.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


@asynccontextmanager
async def api(
    daemon: FakeDaemon | None = None,
) -> AsyncIterator[tuple[aiohttp.ClientSession, FakeDaemon, str]]:
    """The API over `daemon` (a fresh FakeDaemon by default): a client session, the daemon,
    the socket path. Requests go to http://docker/..."""
    daemon = daemon or FakeDaemon()
    async with serving(make_app(daemon)) as path:
        connector = aiohttp.UnixConnector(path=path)
        async with aiohttp.ClientSession(connector=connector, base_url="http://docker") as session:
            yield session, daemon, path


async def raw_request(
    path: str, request: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send raw request bytes on a new connection; return the streams."""
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(request)
    await writer.drain()
    return reader, writer


async def read_head(reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
    """The status line and headers of an answer (names lower-cased)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def half_close(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    assert sock is not None
    sock.shutdown(socket.SHUT_WR)
