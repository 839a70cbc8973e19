"""`docker exec`: extra processes in a running container, with moby's exec semantics.

Lifecycle of one exec (daemon/exec.go):

    exec_id = execs.create(c, body)        # validated, registered, event `exec_create: <cmd>`
    await execs.start(exec_id, container=c, detach=False, tty=None, conn=conn)
        # `exec_start: <cmd>`; the shim runs `runtime exec`; conn <-> process stdio until it
        # exits (`exec_die` with exitCode) or the client detaches (`exec_detach`)
    execs.inspect(exec_id)                 # ExecInspectResponse, also after the exit
    execs.forget(c.id)                     # the container exited or was removed

An exec that has exited stays inspectable for a while (moby's 5-minute GC); one that never
started or was still running when its container went away is dropped at once, as moby's
container Cleanup does. Health checks run their probes through `run()`.

The exec record and its wire forms are in execconfig.py, what is particular to a probe in
probe.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.containers import attach, execconfig, probe
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.execconfig import ExecConfig as ExecConfig
from dockyard.containers.probe import MAX_PROBE_OUTPUT as MAX_PROBE_OUTPUT
from dockyard.containers.probe import PROBE_START_TIMEOUT as PROBE_START_TIMEOUT
from dockyard.containers.probe import go_duration as go_duration
from dockyard.containers.spec import exec_process
from dockyard.containers.state import Status
from dockyard.containers.streams import STDOUT, Conn, wire
from dockyard.shim.client import ExecState, ShimClient, ShimStream

log = logging.getLogger(__name__)

EXITED_TTL = 600.0  # seconds an exited exec stays inspectable (moby: 5 to 10 minutes)
DETACHED_POLL = 0.25  # seconds between exec_state looks for a detached exec
RESIZE_WAIT = 10.0  # moby waits this long for the exec to start before a resize


class ExecShim(Protocol):
    """The part of the shim client an exec uses (ShimClient implements it)."""

    async def exec(
        self, *, exec_id: str, process: dict[str, Any], tty: bool, stdin: bool, detach: bool
    ) -> tuple[int, ShimStream | None]: ...

    async def exec_state(self, exec_id: str) -> ExecState: ...

    async def resize(self, *, height: int, width: int, exec_id: str = "") -> None: ...


def start_exit_code(err: Exception) -> int:
    """moby's setExitCodeFromError for an exec the runtime could not start."""
    text = str(err).lower()
    if "executable file not found" in text or "no such file or directory" in text:
        return 127
    return 126  # EACCES, EISDIR, ENOTDIR and anything else (moby's exitEaccess default)


def _check_live(container: Container) -> None:
    """moby's getActiveContainer / getExecConfig checks."""
    if not container.running:
        raise errdefs.Conflict(f"Container {container.id} is not running")
    if container.paused:
        raise errdefs.Conflict(
            f"Container {container.id} is paused, unpause the container before exec"
        )
    if container.state.status is Status.RESTARTING:
        raise errdefs.Conflict(
            f"Container {container.id} is restarting, wait until the container is running"
        )


class Execs:
    """Every exec instance of one daemon; owned by the ContainerService."""

    def __init__(
        self,
        deps: ContainerDeps,
        *,
        shim: Callable[[str], ExecShim] = ShimClient,
        kill: Callable[[int], None] | None = None,
    ) -> None:
        self._deps = deps
        self._shim = shim  # socket path -> client (tests hand in a fake shim)
        # SIGKILL to a probe past its timeout, by host pid: the shim protocol has no exec kill
        self._kill = kill or probe.kill_probe
        self._execs: dict[str, ExecConfig] = {}
        self._started: dict[str, asyncio.Event] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}

    # -- lookups ------------------------------------------------------------------------------

    def _get(self, exec_id: str) -> ExecConfig:
        ec = self._execs.get(exec_id)
        if ec is None:
            raise errdefs.NotFound(f"No such exec instance: {exec_id}")
        return ec

    def container_of(self, exec_id: str) -> str:
        """The id of the exec's container; NotFound "No such exec instance: <id>"."""
        return self._get(exec_id).container_id

    def inspect(self, exec_id: str) -> dict[str, Any]:
        """ExecInspectResponse (GET /exec/{id}/json)."""
        return execconfig.inspect_response(self._get(exec_id))

    # -- create -------------------------------------------------------------------------------

    def create(self, container: Container, body: dict[str, Any]) -> str:
        """POST /containers/{id}/exec: the new exec's id."""
        cmd = [str(a) for a in body.get("Cmd") or []]
        if not cmd:
            raise errdefs.InvalidArgument("No exec command specified")
        _check_live(container)
        ec = execconfig.from_create_body(container, body, cmd=cmd)
        self._register(container, ec)
        return ec.id

    def _register(self, container: Container, ec: ExecConfig) -> None:
        self._gc()
        self._execs[ec.id] = ec
        self._started[ec.id] = asyncio.Event()
        container.exec_ids.add(ec.id)
        self._publish(container, f"exec_create: {ec.cmd_text}", {"execID": ec.id})

    def _gc(self) -> None:
        now = time.monotonic()
        for exec_id, ec in list(self._execs.items()):
            if not ec.running and ec.exited_at and now - ec.exited_at > EXITED_TTL:
                self._drop(exec_id)

    def _drop(self, exec_id: str) -> None:
        self._execs.pop(exec_id, None)
        self._started.pop(exec_id, None)

    def forget(self, container_id: str) -> None:
        """The container exited or is gone: drop its execs that have not exited (moby's
        Cleanup); the exited ones stay inspectable until the GC."""
        for exec_id, ec in list(self._execs.items()):
            if ec.container_id != container_id or ec.exit_code is not None:
                continue
            task = self._watchers.pop(exec_id, None)
            if task is not None:
                task.cancel()
            ec.running = False
            self._drop(exec_id)

    # -- start --------------------------------------------------------------------------------

    async def start(
        self,
        exec_id: str,
        *,
        container: Container,
        detach: bool,
        tty: bool | None,
        conn: Conn | None,
    ) -> None:
        """POST /exec/{id}/start. Errors before the process starts raise (404, 409). A
        runtime failure to start it is written to `conn` as Docker does once hijacked (and
        raised when detached). Returns when the process exited or the client detached."""
        ec = self._get(exec_id)
        _check_live(container)
        if ec.exit_code is not None:
            raise errdefs.Conflict(f"exec command {ec.id} has already run")
        if ec.running:
            raise errdefs.Conflict(f"exec command {ec.id} is already running")
        ec.running = True
        self._publish(container, f"exec_start: {ec.cmd_text}", {"execID": ec.id})
        use_stdin = ec.open_stdin and conn is not None and not detach
        wire_tty = ec.tty if tty is None else tty
        try:
            shim, stream = await self._launch(container, ec, stdin=use_stdin, detach=detach)
        except errdefs.DockyardError as err:
            self._failed(container, ec, err)
            if conn is None:
                raise
            with contextlib.suppress(ConnectionError, OSError):
                await conn.write(wire(STDOUT, f"{err}\r\n".encode(), tty=wire_tty))
                await conn.close_write()
            return
        if stream is None:  # detached: learn the exit from exec_state
            self._watch(container, ec, shim)
            return
        if conn is None:
            while await stream.read_frame() is not None:
                pass
            stream.close()
            detached = False
        else:
            keys = (ec.detach_keys or attach.parse_detach_keys("")) if ec.tty else None
            detached = await attach.pump(
                conn, stream, tty=wire_tty, stdin=use_stdin, detach_keys=keys if use_stdin else None
            )
        if detached:
            self._publish(container, "exec_detach", {"execID": ec.id})
            self._watch(container, ec, shim)
            return
        await self._finish_from(container, ec, shim, stream)

    async def _launch(
        self, container: Container, ec: ExecConfig, *, stdin: bool, detach: bool
    ) -> tuple[ExecShim, ShimStream | None]:
        process = await asyncio.to_thread(
            exec_process,
            container,
            cmd=[ec.entrypoint, *ec.args],
            env=ec.env,
            user=ec.user,
            working_dir=ec.working_dir,
            tty=ec.tty,
            privileged=ec.privileged,
            rootfs=container.rootfs,
            console_size=ec.console_size,
            defaults=self._deps.defaults,
        )
        shim = self._shim(container.shim_socket)
        pid, stream = await shim.exec(
            exec_id=ec.id, process=process, tty=ec.tty, stdin=stdin, detach=detach
        )
        ec.pid = pid
        event = self._started.get(ec.id)
        if event is not None:
            event.set()
        return shim, stream

    def _failed(self, container: Container, ec: ExecConfig, err: Exception) -> None:
        """moby's deferred cleanup of a start that failed: no exec_die, exit code 126/127."""
        ec.running = False
        ec.exit_code = start_exit_code(err)
        ec.exited_at = time.monotonic()
        container.exec_ids.discard(ec.id)
        log.info("failed to start exec %s in %s: %s", ec.id[:12], container.id[:12], err)

    def _finish(self, container: Container, ec: ExecConfig, exit_code: int | None) -> None:
        """The process is gone: record its exit (an unknown one leaves ExitCode null)."""
        if ec.exit_code is not None:
            return
        ec.running = False
        ec.exited_at = time.monotonic()
        container.exec_ids.discard(ec.id)
        if exit_code is None:
            return
        ec.exit_code = exit_code
        self._publish(container, "exec_die", {"execID": ec.id, "exitCode": str(exit_code)})

    async def _finish_from(
        self, container: Container, ec: ExecConfig, shim: ExecShim, stream: ShimStream
    ) -> None:
        """Record the exit the stream's exit frame reported (or the shim, if it had none)."""
        if stream.exit_status is not None:
            self._finish(container, ec, stream.exit_status.exit_code)
            return
        try:
            state = await shim.exec_state(ec.id)
        except (errdefs.DockyardError, OSError) as err:
            log.warning("lost the exit status of exec %s: %s", ec.id[:12], err)
            ec.running = False
            return
        if state.running:
            self._watch(container, ec, shim)
        else:
            self._finish(container, ec, state.exit_code)

    def _watch(self, container: Container, ec: ExecConfig, shim: ExecShim) -> None:
        """Follow a process nobody is attached to until it exits."""
        task = asyncio.create_task(self._poll_exit(container, ec, shim))
        self._watchers[ec.id] = task
        task.add_done_callback(lambda t: self._watchers.pop(ec.id, None))

    async def _poll_exit(self, container: Container, ec: ExecConfig, shim: ExecShim) -> None:
        while True:
            try:
                state = await shim.exec_state(ec.id)
            except (errdefs.DockyardError, OSError) as err:
                log.info("stopped following exec %s: %s", ec.id[:12], err)
                ec.running = False
                return
            if not state.running:
                self._finish(container, ec, state.exit_code)
                return
            await asyncio.sleep(DETACHED_POLL)

    async def resize(self, exec_id: str, *, container: Container, height: int, width: int) -> None:
        """POST /exec/{id}/resize: once the process started (moby waits up to 10 s)."""
        ec = self._get(exec_id)
        _check_live(container)
        event = self._started.get(exec_id)
        if event is not None and not event.is_set():
            try:
                await asyncio.wait_for(event.wait(), RESIZE_WAIT)
            except TimeoutError:
                raise errdefs.Unknown("timeout waiting for exec session ready") from None
        await self._shim(container.shim_socket).resize(height=height, width=width, exec_id=ec.id)

    # -- health probes ------------------------------------------------------------------------

    async def run(
        self, container: Container, cmd: list[str], *, timeout: float
    ) -> tuple[int, bytes]:
        """Run a health probe as moby's cmdProbe does: an exec with stdout and stderr (no
        stdin, no TTY) as the container's User in its WorkingDir, its events included.
        (exit code, the first 4096 bytes of combined output). Past `timeout` the probe is
        killed and the answer is (-1, "Health check exceeded timeout (<timeout>)[: output]").
        Errors starting it raise errdefs kinds."""
        _check_live(container)
        ec = probe.probe_config(container, cmd)
        self._register(container, ec)
        ec.running = True
        self._publish(container, f"exec_start: {ec.cmd_text}", {"execID": ec.id})
        try:
            shim, stream = await asyncio.wait_for(
                self._launch(container, ec, stdin=False, detach=False), PROBE_START_TIMEOUT
            )
        except TimeoutError:
            self._failed(container, ec, errdefs.Unknown("timed out"))
            raise errdefs.Unknown(
                f"timed out starting health check for container {container.id}"
            ) from None
        except errdefs.DockyardError as err:
            self._failed(container, ec, err)
            raise
        assert stream is not None  # not detached
        output = bytearray()

        async def collect() -> None:
            while (item := await stream.read_frame()) is not None:
                output.extend(item[1][: MAX_PROBE_OUTPUT - len(output)])

        reader = asyncio.ensure_future(collect())
        try:
            done, _ = await asyncio.wait({reader}, timeout=timeout)
        except asyncio.CancelledError:
            # the monitor stopped (exit, pause, shutdown): the probe must not linger
            self._kill(ec.pid)
            reader.cancel()
            stream.close()
            self._finish(container, ec, probe.killed_code(stream))
            raise
        if reader not in done:
            self._kill(ec.pid)
            # wait for the probe to go (moby: "we don't want dying probes to pile up")
            await asyncio.wait({reader}, timeout=PROBE_START_TIMEOUT)
            reader.cancel()
            stream.close()
            self._finish(container, ec, probe.killed_code(stream))
            return -1, probe.timeout_message(timeout, bytes(output))
        stream.close()
        if reader.exception() is not None:
            ec.running = False
            raise errdefs.Unknown(f"health check failed: {reader.exception()}")
        await self._finish_from(container, ec, shim, stream)
        if ec.exit_code is None:
            raise errdefs.Unknown(f"healthcheck for container {container.id} has no exit code")
        return ec.exit_code, bytes(output)

    async def close(self) -> None:
        """Stop following detached execs (daemon shutdown); the processes keep running."""
        tasks = list(self._watchers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _publish(self, container: Container, action: str, extra: dict[str, str]) -> None:
        # moby's LogContainerEventWithAttributes: labels, then image and name, then extras
        attributes = dict(container.config.get("Labels") or {})
        attributes["image"] = str(container.config.get("Image") or container.image_id)
        attributes["name"] = container.name
        attributes.update(extra)
        self._deps.events.publish("container", action, container.id, attributes)
