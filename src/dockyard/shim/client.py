"""The daemon's side of the shim protocol (asyncio): spawn a shim, then talk to it.

    client = await spawn(shim=[".../dockyard-shim"], dir=exec_dir, config=cfg)  # created
    pid = await client.start()
    stream = await client.attach(stdin=False, stdout=True, stderr=True, close_stdin=False)
    while (frame := await stream.read_frame()) is not None: ...   # (1|2, data)
    status = await client.wait()                                   # ExitStatus
    await client.delete()                                          # the shim exits

Every call opens its own connection (the protocol is one request per connection), so a
ShimClient is just the socket path and may be rebuilt at any time, e.g. after a daemon
restart. A missing socket or a refused connection is errdefs.Unavailable.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from dockyard import errdefs
from dockyard.shim import protocol
from dockyard.shim.config import LogConfig, ShimConfig, save
from dockyard.utils.record import record

__all__ = [
    "ExecState",
    "ExitStatus",
    "LogConfig",
    "ShimClient",
    "ShimConfig",
    "ShimState",
    "ShimStream",
    "Spawner",
    "spawn",
]

SOCKET = "shim.sock"
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes, NUL included


@record(frozen=True)
class ExitStatus:
    exit_code: int
    exited_at: str  # RFC 3339 with nanoseconds, as Docker's State.FinishedAt
    oom_killed: bool = False

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ExitStatus:
        return cls(
            exit_code=int(doc.get("exit_code") or 0),
            exited_at=str(doc.get("exited_at") or ""),
            oom_killed=bool(doc.get("oom_killed")),
        )


@record(frozen=True)
class ShimState:
    pid: int
    status: str  # created | running | paused | stopped
    exit_code: int = 0
    exited_at: str = ""
    oom_killed: bool = False


@record(frozen=True)
class ExecState:
    pid: int
    running: bool
    exit_code: int | None = None


class Spawner:
    """The daemon's warm `dockyard-shim --spawner` (shim/spawner.py): spawns shims without
    starting an interpreter each time. Started on first use; if it cannot run, spawn()
    runs the shim program directly."""

    def __init__(self, shim: list[str]) -> None:
        self.shim = shim
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[tuple[int, str]]] = {}
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The spawner process, while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def spawn(self, *, dir: str, config: ShimConfig) -> ShimClient:
        """As `spawn()`: write shim.json, start the shim, return once the container exists."""
        proc = await self._running()
        if proc is None or proc.stdin is None:
            return await spawn(shim=self.shim, dir=dir, config=config)
        save(dir, config)
        done: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._waiting[config.id] = done
        try:
            proc.stdin.write(f"{config.id} {dir}\n".encode())
            await proc.stdin.drain()
            code, reason = await done
        finally:
            self._waiting.pop(config.id, None)
        if code:
            raise _spawn_error(code, reason or f"dockyard-shim exited with {code}")
        return ShimClient(os.path.join(dir, SOCKET))

    async def close(self) -> None:
        """End the spawner (shims it started live on)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
            await proc.wait()
        if self._reader is not None:
            await self._reader
            self._reader = None

    async def _running(self) -> asyncio.subprocess.Process | None:
        async with self._lock:
            if self._proc is not None and self._proc.returncode is None:
                return self._proc
            try:
                self._proc = await asyncio.create_subprocess_exec(
                    *self.shim,
                    "--spawner",
                    _CMDLINE_ROOM,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            except OSError:
                self._proc = None
                return None
            self._reader = asyncio.create_task(self._read(self._proc))
            return self._proc

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            cid, _, rest = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
            code, _, reason = rest.partition(" ")
            done = self._waiting.get(cid)
            if done is not None and not done.done():
                done.set_result((int(code) if code.isdigit() else 1, reason))
        for done in self._waiting.values():  # the spawner died: nobody will answer
            if not done.done():
                done.set_result((1, "the shim spawner exited"))
        await proc.wait()


# room in the spawner's argument area for each forked shim's own command line (cmdline.py)
_CMDLINE_ROOM = " " * 640


def _spawn_error(code: int, msg: str) -> errdefs.DockyardError:
    return errdefs.InvalidArgument(msg) if code == 2 else errdefs.Unknown(msg)


async def spawn(*, shim: list[str], dir: str, config: ShimConfig) -> ShimClient:
    """Write `<dir>/shim.json`, run the shim and wait until it has created the container.
    On failure the runtime's error (the shim's last stderr line) is raised: InvalidArgument
    for a bad configuration, Unknown for everything else (`OCI runtime create failed: ...`)."""
    save(dir, config)
    argv = [*shim, "--id", config.id, "--dir", dir]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as err:
        raise errdefs.Unknown(f"failed to run the shim {shim[0]}: {err}") from None
    _out, err_bytes = await proc.communicate()
    if proc.returncode != 0:
        lines = [ln for ln in err_bytes.decode("utf-8", "replace").splitlines() if ln.strip()]
        msg = lines[-1].strip() if lines else f"dockyard-shim exited with {proc.returncode}"
        raise _spawn_error(proc.returncode or 1, msg)
    return ShimClient(os.path.join(dir, SOCKET))


async def _connect(path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        if len(path.encode()) <= _SUN_PATH_MAX:
            return await asyncio.open_unix_connection(path, limit=protocol.MAX_LINE + 1)
        # A path too long for sun_path: reach it through our descriptor of its directory.
        dfd = os.open(os.path.dirname(path), os.O_PATH | os.O_CLOEXEC)
        try:
            short = f"/proc/self/fd/{dfd}/{os.path.basename(path)}"
            return await asyncio.open_unix_connection(short, limit=protocol.MAX_LINE + 1)
        finally:
            os.close(dfd)
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as err:
        raise errdefs.Unavailable(f"shim not reachable at {path}: {err.strerror}") from None


class ShimStream:
    """The stream after `attach` or a non-detached `exec`: output frames until the exit."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.exit_status: ExitStatus | None = None

    async def read_frame(self) -> tuple[int, bytes] | None:
        """The next (stream, data) with stream 1 (stdout) or 2 (stderr); None at the end
        (after the exit frame, which sets exit_status, or when the shim went away)."""
        while True:
            try:
                head = await self._reader.readexactly(protocol.HEADER_SIZE)
                stream, length = protocol.parse_header(head)
                data = await self._reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            if stream == protocol.EXIT:
                self.exit_status = ExitStatus.from_json(protocol.decode(data))
                return None
            if stream in (protocol.STDOUT, protocol.STDERR):
                return stream, data

    async def write_stdin(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def close_stdin(self) -> None:
        """Half-close: the shim closes the process's stdin (when the request asked for it)."""
        if self._writer.can_write_eof() and not self._writer.is_closing():
            self._writer.write_eof()
            await self._writer.drain()

    def close(self) -> None:
        self._writer.close()


class ShimClient:
    """One container's shim, by the path of its socket."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    async def _open(
        self, request: dict[str, Any]
    ) -> tuple[dict[str, Any], asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await _connect(self.socket_path)
        try:
            writer.write(protocol.encode(request))
            await writer.drain()
            line = await reader.readline()
            if not line.endswith(b"\n"):
                raise errdefs.Unavailable(f"shim at {self.socket_path} closed the connection")
            return protocol.check(protocol.decode(line)), reader, writer
        except ConnectionError as err:
            writer.close()
            raise errdefs.Unavailable(f"shim not reachable at {self.socket_path}: {err}") from None
        except BaseException:
            writer.close()
            raise

    async def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        answer, _reader, writer = await self._open(request)
        writer.close()
        return answer

    async def state(self) -> ShimState:
        a = await self._call({"op": "state"})
        return ShimState(
            pid=int(a.get("pid") or 0),
            status=str(a.get("status", "")),
            exit_code=int(a.get("exit_code") or 0),
            exited_at=str(a.get("exited_at") or ""),
            oom_killed=bool(a.get("oom_killed")),
        )

    async def start(self) -> int:
        return int((await self._call({"op": "start"}))["pid"])

    async def kill(self, signal: int, *, all: bool = False) -> None:
        await self._call({"op": "kill", "signal": signal, "all": all})

    async def pause(self) -> None:
        await self._call({"op": "pause"})

    async def resume(self) -> None:
        await self._call({"op": "resume"})

    async def wait(self) -> ExitStatus:
        """Blocks until PID 1 has exited and its output is drained."""
        return ExitStatus.from_json(await self._call({"op": "wait"}))

    async def attach(
        self, *, stdin: bool, stdout: bool, stderr: bool, close_stdin: bool
    ) -> ShimStream:
        req = {
            "op": "attach",
            "stdin": stdin,
            "stdout": stdout,
            "stderr": stderr,
            "close_stdin": close_stdin,
        }
        _answer, reader, writer = await self._open(req)
        return ShimStream(reader, writer)

    async def exec(
        self, *, exec_id: str, process: dict[str, Any], tty: bool, stdin: bool, detach: bool
    ) -> tuple[int, ShimStream | None]:
        req = {
            "op": "exec",
            "exec_id": exec_id,
            "process": process,
            "tty": tty,
            "stdin": stdin,
            "detach": detach,
        }
        answer, reader, writer = await self._open(req)
        if detach:
            writer.close()
            return int(answer["pid"]), None
        return int(answer["pid"]), ShimStream(reader, writer)

    async def exec_state(self, exec_id: str) -> ExecState:
        a = await self._call({"op": "exec_state", "exec_id": exec_id})
        code = a.get("exit_code")
        return ExecState(
            pid=int(a.get("pid") or 0),
            running=bool(a.get("running")),
            exit_code=int(code) if code is not None else None,
        )

    async def resize(self, *, height: int, width: int, exec_id: str = "") -> None:
        req: dict[str, Any] = {"op": "resize", "height": height, "width": width}
        if exec_id:
            req["exec_id"] = exec_id
        await self._call(req)

    async def delete(self) -> None:
        """`runtime delete`; the shim exits after answering."""
        await self._call({"op": "delete"})
