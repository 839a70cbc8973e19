"""Health checks: Config.Healthcheck probes run beside a live container (moby's health.go).

    monitor = HealthMonitor(deps, execs, save)
    monitor.start(c)        # after each start: Health {starting, streak 0}, probes begin
    await monitor.stop(c)   # exit, pause, removal: the loop ends, a running probe is killed
    monitor.resume(c)       # unpause: probes again without resetting the status
    await monitor.close()   # daemon shutdown

Test ["CMD", args...] execs args, ["CMD-SHELL", cmd] runs it with Config.Shell (default
/bin/sh -c), ["NONE"] or no test disables. Interval, Timeout, StartPeriod and StartInterval
are nanoseconds, 0 meaning Docker's default (30 s, 30 s, 0, 5 s); Retries 0 means 3. During
the start period failures do not count, and while still "starting" probes come every
StartInterval. Exit 0 is healthy; FailingStreak consecutive failures reaching Retries is
unhealthy. The last 5 results are kept; each status change is an event `health_status: <s>`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.execs import Execs
from dockyard.images import timefmt

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_NS = 30 * 10**9
DEFAULT_TIMEOUT_NS = 30 * 10**9
DEFAULT_START_PERIOD_NS = 0
DEFAULT_START_INTERVAL_NS = 5 * 10**9
DEFAULT_RETRIES = 3
MAX_LOG_ENTRIES = 5

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"


def probe_command(config: dict[str, Any]) -> list[str] | None:
    """The probe's argv for a container Config, or None when health checks are off."""
    test = [str(t) for t in (config.get("Healthcheck") or {}).get("Test") or []]
    if not test:
        return None
    if test[0] == "CMD":
        return test[1:] or None
    if test[0] == "CMD-SHELL":
        shell = [str(s) for s in config.get("Shell") or []] or ["/bin/sh", "-c"]
        return [*shell, *test[1:]]
    if test[0] != "NONE":
        log.warning("Unknown healthcheck type '%s' (expected 'CMD')", test[0])
    return None


def _ns(config: dict[str, Any], key: str, default: int) -> int:
    value = int((config.get("Healthcheck") or {}).get(key) or 0)
    return value if value > 0 else default


class Timing:
    """A container's probe timing (moby's timeoutWithDefault applied)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.interval_ns = _ns(config, "Interval", DEFAULT_INTERVAL_NS)
        self.timeout_ns = _ns(config, "Timeout", DEFAULT_TIMEOUT_NS)
        self.start_period_ns = _ns(config, "StartPeriod", DEFAULT_START_PERIOD_NS)
        self.start_interval_ns = _ns(config, "StartInterval", DEFAULT_START_INTERVAL_NS)
        self.retries = _ns(config, "Retries", DEFAULT_RETRIES)

    def next_delay_ns(self, *, status: str, since_start_ns: int) -> int:
        """moby's getInterval: StartInterval while starting within the start period."""
        if since_start_ns >= self.start_period_ns:
            return self.interval_ns
        return self.start_interval_ns if status == STARTING else self.interval_ns


def record_result(
    health: dict[str, Any], result: dict[str, Any], *, timing: Timing, since_start_ns: int
) -> None:
    """Apply one probe result to a Health document (moby's handleProbeResult).
    `since_start_ns` is the probe's start minus the container's StartedAt."""
    entries = list(health.get("Log") or [])
    entries.append(result)
    health["Log"] = entries[-MAX_LOG_ENTRIES:]
    if result["ExitCode"] == 0:
        health["FailingStreak"] = 0
        health["Status"] = HEALTHY
        return
    # Failures in the start period do not count while no probe has succeeded yet.
    if health.get("Status") == STARTING and since_start_ns < timing.start_period_ns:
        return
    health["FailingStreak"] = int(health.get("FailingStreak") or 0) + 1
    if health["FailingStreak"] >= timing.retries:
        health["Status"] = UNHEALTHY


class HealthMonitor:
    """One probe loop per running container with a health check; owned by the service."""

    def __init__(
        self, deps: ContainerDeps, execs: Execs, save: Callable[[Container], None]
    ) -> None:
        self._deps = deps
        self._execs = execs
        self._save = save
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._ending: set[asyncio.Task[None]] = set()

    def start(self, container: Container) -> None:
        """The container just started: Health starts over ("starting", streak 0, the log
        kept as moby keeps it) and the probe loop (re)starts. No-op without a health check."""
        if probe_command(container.config) is None:
            return
        health = container.state.health
        if health is None:
            health = container.state.health = {"Status": STARTING, "FailingStreak": 0, "Log": []}
        health["Status"], health["FailingStreak"] = STARTING, 0
        health.setdefault("Log", [])
        self._save(container)
        self.resume(container)

    def resume(self, container: Container) -> None:
        """(Re)start the probe loop without touching the Health document (unpause)."""
        cmd = probe_command(container.config)
        if cmd is None or container.state.health is None:
            return
        self._end(container.id)
        self._loops[container.id] = asyncio.create_task(self._loop(container, cmd))

    def _end(self, container_id: str) -> asyncio.Task[None] | None:
        task = self._loops.pop(container_id, None)
        if task is not None:
            task.cancel()
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)
        return task

    async def stop(self, container: Container) -> None:
        """End the probe loop (and kill a running probe); safe under the container's lock."""
        task = self._end(container.id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        for container_id in list(self._loops):
            self._end(container_id)
        await asyncio.gather(*list(self._ending), return_exceptions=True)

    async def _loop(self, container: Container, cmd: list[str]) -> None:
        timing = Timing(container.config)
        started_ns = timefmt.to_ns(container.state.started_at) or time.time_ns()
        while True:
            health = container.state.health or {}
            delay = timing.next_delay_ns(
                status=str(health.get("Status")), since_start_ns=time.time_ns() - started_ns
            )
            await asyncio.sleep(delay / 1e9)
            if not container.running or container.paused:
                return
            start_ns = time.time_ns()
            try:
                code, output = await self._execs.run(
                    container, cmd, timeout=timing.timeout_ns / 1e9
                )
            except errdefs.DockyardError as err:
                log.warning("Health check for container %s error: %s", container.id[:12], err)
                code, output = -1, str(err).encode()
            result = {
                "Start": timefmt.format_ns(start_ns),
                "End": timefmt.now_rfc3339(),
                "ExitCode": code,
                "Output": output.decode(errors="replace"),
            }
            async with container.lock:
                if not container.running or container.state.health is None:
                    return
                self._record(container, result, timing, since_start_ns=start_ns - started_ns)

    def _record(
        self, container: Container, result: dict[str, Any], timing: Timing, *, since_start_ns: int
    ) -> None:
        health = container.state.health
        assert health is not None
        old = health.get("Status")
        record_result(health, result, timing=timing, since_start_ns=since_start_ns)
        self._save(container)
        if health["Status"] != old:
            attributes = dict(container.config.get("Labels") or {})
            attributes["image"] = str(container.config.get("Image") or container.image_id)
            attributes["name"] = container.name
            self._deps.events.publish(
                "container", f"health_status: {health['Status']}", container.id, attributes
            )
