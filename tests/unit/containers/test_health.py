"""health: moby's probe state machine, timing defaults, and the monitor over a fake prober."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.health import HealthMonitor, Timing, probe_command, record_result
from dockyard.containers.state import Status
from dockyard.images import timefmt

CID = "a1" * 32
MS = 1_000_000


def test_probe_command_per_test_type() -> None:
    assert probe_command({}) is None
    assert probe_command({"Healthcheck": {"Test": []}}) is None
    assert probe_command({"Healthcheck": {"Test": ["NONE"]}}) is None
    assert probe_command({"Healthcheck": {"Test": ["BOGUS", "x"]}}) is None
    assert probe_command({"Healthcheck": {"Test": ["CMD", "true", "x"]}}) == ["true", "x"]
    assert probe_command({"Healthcheck": {"Test": ["CMD-SHELL", "exit 0"]}}) == [
        "/bin/sh",
        "-c",
        "exit 0",
    ]
    shell = {"Shell": ["/bin/bash", "-ec"], "Healthcheck": {"Test": ["CMD-SHELL", "x"]}}
    assert probe_command(shell) == ["/bin/bash", "-ec", "x"]


def test_timing_defaults_are_dockers() -> None:
    t = Timing({"Healthcheck": {"Test": ["CMD", "true"]}})
    assert (t.interval_ns, t.timeout_ns, t.start_period_ns, t.start_interval_ns, t.retries) == (
        30 * 10**9,
        30 * 10**9,
        0,
        5 * 10**9,
        3,
    )
    t = Timing({"Healthcheck": {"Interval": 10**9, "StartPeriod": 60 * 10**9, "Retries": 1}})
    assert t.next_delay_ns(status="starting", since_start_ns=10**9) == 5 * 10**9
    assert t.next_delay_ns(status="healthy", since_start_ns=10**9) == 10**9
    assert t.next_delay_ns(status="starting", since_start_ns=61 * 10**9) == 10**9


def result(code: int, n: int = 0) -> dict[str, Any]:
    return {"Start": str(n), "End": str(n), "ExitCode": code, "Output": ""}


def test_state_machine_counts_failures_to_unhealthy_and_one_success_heals() -> None:
    t = Timing({"Healthcheck": {"Retries": 2}})
    h: dict[str, Any] = {"Status": "starting", "FailingStreak": 0, "Log": []}
    record_result(h, result(1), timing=t, since_start_ns=0)
    assert h["Status"] == "starting" and h["FailingStreak"] == 1
    record_result(h, result(1), timing=t, since_start_ns=0)
    assert h["Status"] == "unhealthy" and h["FailingStreak"] == 2
    record_result(h, result(0), timing=t, since_start_ns=0)
    assert h["Status"] == "healthy" and h["FailingStreak"] == 0
    record_result(h, result(-1), timing=t, since_start_ns=0)
    assert h["Status"] == "healthy" and h["FailingStreak"] == 1


def test_failures_in_the_start_period_do_not_count_until_a_success() -> None:
    t = Timing({"Healthcheck": {"Retries": 1, "StartPeriod": 10 * 10**9}})
    h: dict[str, Any] = {"Status": "starting", "FailingStreak": 0, "Log": []}
    record_result(h, result(1), timing=t, since_start_ns=10**9)
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    record_result(h, result(0), timing=t, since_start_ns=2 * 10**9)
    record_result(h, result(1), timing=t, since_start_ns=3 * 10**9)
    assert h["Status"] == "unhealthy"  # no longer starting: the failure counts
    record_result(h, result(1), timing=t, since_start_ns=11 * 10**9)
    assert h["FailingStreak"] == 2


def test_log_keeps_the_last_five_results() -> None:
    t = Timing({})
    h: dict[str, Any] = {"Status": "starting", "FailingStreak": 0, "Log": []}
    for n in range(7):
        record_result(h, result(0, n), timing=t, since_start_ns=0)
    assert [r["Start"] for r in h["Log"]] == ["2", "3", "4", "5", "6"]


class Events:
    def __init__(self) -> None:
        self.actions: list[str] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        self.actions.append(action)


class FakeProber:
    """Stands in for Execs.run: answers from a script of (exit code, output)."""

    def __init__(self, answers: list[tuple[int, bytes]]) -> None:
        self.answers = list(answers)
        self.cmds: list[list[str]] = []
        self.cancelled = False

    async def run(
        self, container: Container, cmd: list[str], *, timeout: float
    ) -> tuple[int, bytes]:
        self.cmds.append(cmd)
        if not self.answers:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        return self.answers.pop(0)


def make(test: list[str], answers: list[tuple[int, bytes]], **check: int) -> Any:
    events = Events()
    deps = ContainerDeps(
        data_root="/nonexistent",
        exec_root="/nonexistent",
        images=None,  # type: ignore[arg-type]
        snapshotter=None,  # type: ignore[arg-type]
        events=events,
        runtimes={},
        default_runtime="dockyard",
        shim=(),
    )
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={"Image": "busybox", "Healthcheck": {"Test": test, "Interval": 10 * MS, **check}},
        host_config={},
        data_dir="/nonexistent",
        exec_dir="/nonexistent",
    )
    c.state.set_running(pid=1, started_at=timefmt.now_rfc3339())
    saves: list[str] = []
    prober = FakeProber(answers)
    monitor = HealthMonitor(deps, prober, lambda c: saves.append(c.state.health["Status"]))  # type: ignore[arg-type, index]
    return monitor, prober, events, c, saves


def test_monitor_walks_starting_healthy_unhealthy_with_events() -> None:
    monitor, prober, events, c, saves = make(
        ["CMD-SHELL", "check"],
        [(0, b"ok\n"), (1, b"bad"), (1, b"bad"), (1, b"bad")],
        Retries=3,
        StartInterval=10 * MS,
    )

    async def main() -> None:
        monitor.start(c)
        assert c.state.health == {"Status": "starting", "FailingStreak": 0, "Log": []}
        for _ in range(200):
            if len(prober.cmds) == 5:  # four answered, the fifth hangs
                break
            await asyncio.sleep(0.01)
        await monitor.stop(c)
        assert prober.cancelled  # the probe that was running when stopped
        await monitor.close()

    asyncio.run(main())
    health = c.state.health
    assert health is not None
    assert health["Status"] == "unhealthy" and health["FailingStreak"] == 3
    assert [r["ExitCode"] for r in health["Log"]] == [0, 1, 1, 1]
    assert health["Log"][0]["Output"] == "ok\n" and health["Log"][0]["Start"].endswith("Z")
    assert events.actions == ["health_status: healthy", "health_status: unhealthy"]
    assert prober.cmds[0] == ["/bin/sh", "-c", "check"]
    assert saves[0] == "starting" and saves[-1] == "unhealthy"


def test_monitor_is_off_for_none_and_a_restart_resets_status_but_keeps_the_log() -> None:
    monitor, _, _, c, _ = make(["NONE"], [])
    monitor.start(c)
    assert c.state.health is None
    monitor, _, _, c, _ = make(["CMD", "true"], [])
    c.state.health = {"Status": "unhealthy", "FailingStreak": 4, "Log": [result(1)]}

    async def main() -> None:
        monitor.start(c)
        await monitor.close()

    asyncio.run(main())
    assert c.state.health == {"Status": "starting", "FailingStreak": 0, "Log": [result(1)]}


def test_monitor_stops_probing_once_the_container_is_not_running() -> None:
    monitor, prober, _, c, _ = make(["CMD", "true"], [(0, b"")] * 50)

    async def main() -> None:
        monitor.start(c)
        await asyncio.sleep(0.05)
        c.state.status = Status.EXITED
        await asyncio.sleep(0.05)
        probes = len(prober.cmds)
        await asyncio.sleep(0.05)
        assert len(prober.cmds) == probes
        await monitor.close()

    asyncio.run(main())
