"""Lifecycle: start, stop, kill, pause, the exit of PID 1, restart policies and live restore.

A started container is a shim (dockyard.shim) plus one monitor task here awaiting the shim's
`wait`. The monitor's end is the one place an exit is recorded: state, `die` event, waiters,
then Docker's restart manager decision (moby restartmanager: back-off from 100 ms doubling to
1 min, reset after 10 s of running; `docker stop` and `docker kill` with SIGKILL cancel it) or
AutoRemove. Killing the daemon cancels the monitors without touching the shims; `restore()`
finds them again (live restore).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal as signals
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from dockyard import errdefs
from dockyard.containers import bundle, netuse, restartpolicy, rootfs, volumeuse
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.execs import Execs
from dockyard.containers.health import HealthMonitor
from dockyard.containers.signals import signal_number
from dockyard.containers.state import Status
from dockyard.images import timefmt
from dockyard.shim.client import ExitStatus, ShimClient, Spawner

log = logging.getLogger(__name__)

Publish = Callable[[Container, str, dict[str, str]], None]
AttachHook = Callable[[ShimClient], Awaitable[None]]
DEFAULT_STOP_TIMEOUT = 10


class Lifecycle:
    """Runs containers through their shims; owned by the ContainerService."""

    def __init__(
        self,
        *,
        deps: ContainerDeps,
        save: Callable[[Container], None],
        publish: Publish,
        execs: Execs,
        health: HealthMonitor,
        auto_remove: Callable[[Container], Coroutine[Any, Any, None]],
        lookup: Callable[[str], Container],
    ) -> None:
        self.deps = deps
        self._lookup = lookup  # --network container:<id> finds the container it joins
        self._save = save
        self._publish = publish
        self._execs = execs
        self._health = health
        self._auto_remove = auto_remove
        self._shims: dict[str, ShimClient] = {}
        self._monitors: dict[str, asyncio.Task[None]] = {}
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._removals: set[asyncio.Task[None]] = set()
        self._backoff: dict[str, restartpolicy.Backoff] = {}
        self._canceled: set[str] = set()  # restart manager canceled (stop, kill -9, rm)
        self._exit_waiters: dict[str, list[asyncio.Future[ExitStatus]]] = {}
        self._before_start: dict[str, list[AttachHook]] = {}
        self._closing = False
        self._spawner = Spawner(list(deps.shim))

    # -- queries ------------------------------------------------------------------------------

    def shim(self, c: Container) -> ShimClient:
        """The shim of a live container; Conflict "Container <id> is not running" otherwise."""
        client = self._shims.get(c.id)
        if client is None or not c.running:
            raise errdefs.Conflict(f"Container {c.id} is not running")
        return client

    def exit_future(self, c: Container) -> asyncio.Future[ExitStatus]:
        """Resolved at the container's next exit (registered now, so no exit is missed)."""
        fut: asyncio.Future[ExitStatus] = asyncio.get_running_loop().create_future()
        self._exit_waiters.setdefault(c.id, []).append(fut)
        return fut

    def before_start(self, c: Container, hook: AttachHook) -> Callable[[], None]:
        """Run `hook(shim)` between `runtime create` and `start` of the next start (attach
        before start, as `docker run` does, sees the first byte). Returns an unregister."""
        hooks = self._before_start.setdefault(c.id, [])
        hooks.append(hook)

        def unregister() -> None:
            if hook in hooks:
                hooks.remove(hook)

        return unregister

    # -- start --------------------------------------------------------------------------------

    async def start(self, c: Container, *, manual: bool = True) -> bool:
        async with c.lock:
            if c.state.status.is_live():
                return False
            if c.state.status in (Status.REMOVING, Status.DEAD):
                raise errdefs.Conflict(
                    f"container {c.id} is marked for removal and cannot be started"
                )
            if manual:
                # moby's ResetRestartManager(true): a user's start forgets the policy's count
                self._cancel_timer(c)
                self._canceled.discard(c.id)
                self._backoff.pop(c.id, None)
                c.restart_count = 0
                c.manually_stopped = False
            await self._start_locked(c)
            return True

    async def _start_locked(self, c: Container) -> None:
        runtime = c.host_config.get("Runtime") or self.deps.default_runtime
        if runtime not in self.deps.runtimes:  # daemon.json may have dropped it since create
            raise errdefs.InvalidArgument(f"Unknown runtime specified {runtime}")
        root = await asyncio.to_thread(self.mount_rootfs, c)
        try:
            await volumeuse.mount_all(self.deps, c)
        except errdefs.DockyardError as err:
            await asyncio.to_thread(self.unmount_rootfs, c)
            self._record_start_error(c, err)
            raise
        try:
            netns, ips = await netuse.attach(self.deps, c, lookup=self._lookup)
            client = await bundle.create_task(
                c, deps=self.deps, spawner=self._spawner, runtime=runtime, rootfs=root,
                netns_path=netns, ips=ips, internal_dns=netuse.internal_dns(self.deps, c),
                host_gateway_ip=netuse.host_gateway_ip(self.deps),
            )  # fmt: skip
        except errdefs.DockyardError as err:
            await netuse.release(self.deps, c)
            await volumeuse.unmount_all(self.deps, c)
            await asyncio.to_thread(self.unmount_rootfs, c)
            self._record_start_error(c, err)
            raise
        try:
            for hook in self._before_start.pop(c.id, []):
                await hook(client)
            pid = await client.start()
        except BaseException as err:
            await self._discard_shim(client)
            await netuse.release(self.deps, c)
            await volumeuse.unmount_all(self.deps, c)
            await asyncio.to_thread(self.unmount_rootfs, c)
            if isinstance(err, errdefs.DockyardError):
                self._record_start_error(c, err)
            raise
        c.state.set_running(pid=pid, started_at=timefmt.now_rfc3339())
        c.has_been_started = True
        c.runtime = runtime
        self._save(c)
        self._shims[c.id] = client
        self._monitors[c.id] = asyncio.create_task(self._monitor(c, client))
        self._publish(c, "start", {})
        self._health.start(c)  # no-op without a health check

    def _record_start_error(self, c: Container, err: Exception) -> None:
        """moby's SetError + exit code: 127 no such command, 126 not executable, else 128."""
        text = str(err)
        c.state.error = text
        if "executable file not found" in text or "no such file or directory" in text:
            c.state.exit_code = 127
        elif "permission denied" in text:
            c.state.exit_code = 126
        else:
            c.state.exit_code = 128
        self._save(c)

    # -- the exit of PID 1 --------------------------------------------------------------------

    async def _monitor(self, c: Container, client: ShimClient) -> None:
        """Await the exit. The task stays in _monitors until it ends: the loop holds tasks
        only weakly, and a monitor dropped mid-way would be collected while pending."""
        try:
            try:
                status = await client.wait()
            except asyncio.CancelledError:
                raise  # daemon shutting down: the shim lives on (live restore)
            except (OSError, errdefs.DockyardError) as err:
                log.warning("lost the shim of container %s: %s", c.id[:12], err)
                status = ExitStatus(
                    exit_code=255, exited_at=timefmt.now_rfc3339(), oom_killed=False
                )
            await self.handle_exit(c, status)
        finally:
            if self._monitors.get(c.id) is asyncio.current_task():
                del self._monitors[c.id]

    async def handle_exit(self, c: Container, status: ExitStatus) -> None:
        """Record an exit, then restart (policy), remove (AutoRemove) or leave it exited."""
        async with c.lock:
            client = self._shims.pop(c.id, None)
            await self._health.stop(c)
            if client is not None:
                await self._discard_shim(client)
            await netuse.release(self.deps, c)
            await volumeuse.unmount_all(self.deps, c)
            await asyncio.to_thread(self.unmount_rootfs, c)
            # the shim's exit time can precede our start time for a command that exits at once
            ran_ns = max(0, timefmt.to_ns(status.exited_at) - timefmt.to_ns(c.state.started_at))
            restart = self._should_restart(c, status.exit_code, ran_ns)
            c.state.set_exited(
                exit_code=status.exit_code,
                finished_at=status.exited_at,
                oom_killed=status.oom_killed,
            )
            delay = 0.0
            if restart:
                delay = self._backoff.setdefault(c.id, restartpolicy.Backoff()).next(ran_ns)
                c.restart_count += 1
                c.state.move(Status.RESTARTING)
            self._save(c)
            self._execs.forget(c.id)
            c.exec_ids.clear()
            if status.oom_killed:
                self._publish(c, "oom", {})
            self._publish(
                c, "die", {"exitCode": str(status.exit_code), "execDuration": str(ran_ns // 10**9)}
            )
            for fut in self._exit_waiters.pop(c.id, []):
                if not fut.done():
                    fut.set_result(status)
        if restart:
            self._timers[c.id] = asyncio.create_task(self._restart_after(c, delay))
        elif c.host_config.get("AutoRemove") and not self._closing:
            task = asyncio.create_task(self._auto_remove(c))
            self._removals.add(task)
            task.add_done_callback(self._removals.discard)

    def _should_restart(self, c: Container, exit_code: int, ran_ns: int) -> bool:
        if self._closing or c.id in self._canceled:
            return False
        return restartpolicy.should_restart(
            c.host_config.get("RestartPolicy") or {},
            exit_code=exit_code,
            manually_stopped=c.manually_stopped,
            restart_count=c.restart_count,
        )

    async def _restart_after(self, c: Container, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            async with c.lock:
                if c.state.status is not Status.RESTARTING or c.id in self._canceled:
                    return
                try:
                    await self._start_locked(c)
                except errdefs.DockyardError as err:
                    log.warning("failed to restart container %s: %s", c.id[:12], err)
                    c.state.move(Status.EXITED)
                    self._save(c)
        finally:
            if self._timers.get(c.id) is asyncio.current_task():
                del self._timers[c.id]

    def _cancel_timer(self, c: Container) -> None:
        timer = self._timers.pop(c.id, None)
        if timer is not None:
            timer.cancel()

    # -- stop, kill, pause --------------------------------------------------------------------

    async def stop(
        self, c: Container, *, signal: str = "", timeout: int | None = None, manual: bool = True
    ) -> bool:
        """`docker stop`: StopSignal, then SIGKILL after the timeout; False if not running.
        `manual` is the user's stop (unless-stopped then stays down); the daemon's own stop
        at shutdown is not."""
        async with c.lock:
            self._canceled.add(c.id)
            if c.state.status is Status.RESTARTING:
                self._cancel_timer(c)
                c.manually_stopped = c.manually_stopped or manual
                c.state.move(Status.EXITED)
                self._save(c)
                self._publish(c, "stop", {})
                return True
            if not c.state.status.is_live():
                return False
            c.manually_stopped = c.manually_stopped or manual
            self._save(c)
            client = self._shims[c.id]
            exited = self.exit_future(c)
        sig = signal_number(signal or c.config.get("StopSignal") or "SIGTERM")
        if timeout is None:
            timeout = c.config.get("StopTimeout")
            timeout = DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
        await self._send(c, client, sig)
        try:
            if timeout < 0:
                await asyncio.shield(exited)
            else:
                await asyncio.wait_for(asyncio.shield(exited), timeout)
        except TimeoutError:
            await self._send(c, client, signals.SIGKILL)
            await asyncio.shield(exited)
        self._publish(c, "stop", {})
        return True

    async def kill(self, c: Container, *, signal: str = "KILL") -> None:
        sig = signal_number(signal or "KILL")
        async with c.lock:
            if not c.state.status.is_live():
                raise errdefs.Conflict(
                    f"Cannot kill container: {c.id}: Container {c.id} is not running"
                )
            c.manually_stopped = True
            if sig == signals.SIGKILL:
                self._canceled.add(c.id)  # moby's ExitOnNext: no restart after kill -9
            self._save(c)
            client = self._shims[c.id]
        await self._send(c, client, sig)

    async def kill_and_wait(self, c: Container) -> None:
        """SIGKILL and wait for the exit to be recorded (rm -f, shutdown)."""
        async with c.lock:
            self._canceled.add(c.id)
            self._cancel_timer(c)
            client = self._shims.get(c.id)
            if client is None or not c.state.status.is_live():
                return
            exited = self.exit_future(c)
        await self._send(c, client, signals.SIGKILL)
        await asyncio.shield(exited)

    async def _send(self, c: Container, client: ShimClient, sig: int) -> None:
        self._publish(c, "kill", {"signal": str(int(sig))})
        try:
            await client.kill(int(sig), all=sig == signals.SIGKILL)
            if c.paused and sig in (signals.SIGKILL, signals.SIGTERM):
                await client.resume()  # a frozen task only acts on the signal once thawed
        except errdefs.DockyardError as err:
            log.debug("kill %s of %s: %s", sig, c.id[:12], err)

    async def pause(self, c: Container) -> None:
        async with c.lock:
            client = self.shim(c)
            if c.paused:
                raise errdefs.Conflict(f"Container {c.id} is already paused")
            await client.pause()
            c.state.move(Status.PAUSED)
            self._save(c)
            await self._health.stop(c)  # no probes into a frozen container
        self._publish(c, "pause", {})

    async def unpause(self, c: Container) -> None:
        async with c.lock:
            if not c.paused:
                raise errdefs.Conflict(f"Container {c.id} is not paused")
            await self.shim(c).resume()
            c.state.move(Status.RUNNING)
            self._save(c)
            self._health.resume(c)
        self._publish(c, "unpause", {})

    def forget(self, c: Container) -> None:
        """Drop what is kept for a removed container."""
        self._cancel_timer(c)
        self._canceled.discard(c.id)
        self._backoff.pop(c.id, None)
        self._before_start.pop(c.id, None)

    # -- rootfs -------------------------------------------------------------------------------

    def rootfs_path(self, c: Container) -> str:
        return rootfs.path(self.deps.snapshotter, c)

    def mount_rootfs(self, c: Container) -> str:
        return rootfs.mount(self.deps.snapshotter, c)

    def unmount_rootfs(self, c: Container) -> None:
        rootfs.unmount(self.deps.snapshotter, c)

    async def _discard_shim(self, client: ShimClient) -> None:
        try:
            await client.delete()
        except (OSError, errdefs.DockyardError) as err:
            log.debug("shim delete: %s", err)

    # -- daemon start and stop ----------------------------------------------------------------

    async def restore(self, containers: list[Container]) -> None:
        """Re-attach to the shims of containers that were live, record exits that happened
        while the daemon was down, then apply restart policies as moby's restore does."""
        for c in containers:
            if c.state.status in (Status.RUNNING, Status.PAUSED):
                await self._reattach(c)
            elif c.state.status is Status.REMOVING:
                c.state.move(Status.DEAD)
                self._save(c)
        for c in containers:
            if c.state.status is Status.RESTARTING:
                c.state.move(Status.EXITED)
                self._save(c)
            if (
                c.state.status in (Status.EXITED, Status.CREATED)
                and c.has_been_started
                and restartpolicy.should_restart(
                    c.host_config.get("RestartPolicy") or {},
                    exit_code=c.state.exit_code,
                    manually_stopped=c.manually_stopped,
                    restart_count=c.restart_count,
                )
            ):
                try:
                    async with c.lock:
                        await self._start_locked(c)
                except errdefs.DockyardError as err:
                    log.warning("failed to restart container %s at start-up: %s", c.id[:12], err)

    async def _reattach(self, c: Container) -> None:
        client = ShimClient(c.shim_socket)
        try:
            state = await client.state()
        except (OSError, errdefs.DockyardError) as err:
            log.warning("container %s: shim gone (%s); marking it exited", c.id[:12], err)
            await netuse.release(self.deps, c)
            await volumeuse.unmount_all(self.deps, c)
            await asyncio.to_thread(self.unmount_rootfs, c)
            await asyncio.to_thread(shutil.rmtree, c.exec_dir, True)
            c.state.set_exited(exit_code=255, finished_at=timefmt.now_rfc3339())
            self._save(c)
            return
        c.rootfs = self.rootfs_path(c)
        self._shims[c.id] = client
        if state.status == "stopped":
            await self.handle_exit(
                c,
                ExitStatus(
                    exit_code=state.exit_code,
                    exited_at=state.exited_at or timefmt.now_rfc3339(),
                    oom_killed=state.oom_killed,
                ),
            )
            return
        if state.status == "paused" and c.state.status is Status.RUNNING:
            c.state.move(Status.PAUSED)
        elif state.status == "running" and c.state.status is Status.PAUSED:
            c.state.move(Status.RUNNING)
        self._save(c)
        await netuse.restore(self.deps, c)
        self._monitors[c.id] = asyncio.create_task(self._monitor(c, client))
        self._health.start(c)

    async def shutdown(self, containers: list[Container], *, live_restore: bool) -> None:
        """Daemon stop: with live restore leave every container running; without, stop them
        (each with its own stop timeout) as Docker does."""
        if not live_restore:
            self._closing = True
            live = [c for c in containers if c.state.status.is_live()]
            await asyncio.gather(
                *(self.stop(c, manual=False) for c in live), return_exceptions=True
            )
        self._closing = True
        for task in [*self._timers.values(), *self._monitors.values()]:
            task.cancel()
        pending = [*self._timers.values(), *self._monitors.values(), *self._removals]
        await asyncio.gather(*pending, return_exceptions=True)
        self._timers.clear()
        self._monitors.clear()
        await self._spawner.close()
