"""health against a real container: probes through real execs turn the status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.integration.containers.test_execs import Events, deps_for, live_container

from dockyard.containers.execs import Execs
from dockyard.containers.health import HealthMonitor

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(60)]

MS = 1_000_000


def test_probe_turns_healthy_then_unhealthy(rootfs: Path) -> None:
    check = {
        "Healthcheck": {
            "Test": ["CMD-SHELL", "test -e /tmp/ok && echo fine"],
            "Interval": 100 * MS,
            "StartInterval": 100 * MS,
            "Timeout": 2000 * MS,
            "Retries": 2,
        }
    }

    async def scenario() -> list[str]:
        args = ["sh", "-c", "touch /tmp/ok; sleep 1000"]
        async with live_container(rootfs, args, config=check) as (c, _, d):
            events = Events()
            deps = deps_for(d, events)
            execs = Execs(deps)
            monitor = HealthMonitor(deps, execs, lambda c: None)
            monitor.start(c)
            for _ in range(100):
                if (c.state.health or {}).get("Status") == "healthy":
                    break
                await asyncio.sleep(0.05)
            assert c.state.health is not None
            assert c.state.health["Log"][-1]["Output"] == "fine\n"
            code, _ = await execs.run(c, ["rm", "/tmp/ok"], timeout=5)
            assert code == 0
            for _ in range(100):
                if c.state.health["Status"] == "unhealthy":
                    break
                await asyncio.sleep(0.05)
            await monitor.close()
            await execs.close()
            return [a for a, _ in events.seen if a.startswith("health_status")]

    assert asyncio.run(scenario()) == ["health_status: healthy", "health_status: unhealthy"]
