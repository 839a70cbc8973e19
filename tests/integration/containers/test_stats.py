"""stats against a real container's cgroup: the numbers `docker stats` shows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tests.integration.containers.test_execs import live_container

from dockyard.containers.cgroups import apply_update
from dockyard.containers.stats import stats

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(60)]


def test_no_stream_stats_have_cpu_memory_and_pids(rootfs: Path) -> None:
    async def scenario() -> dict[str, Any]:
        busy = ["sh", "-c", "sleep 1000 & while :; do :; done"]
        async with live_container(rootfs, busy) as (c, _, d):
            c.host_config.update({"Memory": 0, "MemorySwap": 0})
            apply_update(c, {"Memory": 64 << 20, "MemorySwap": -1, "PidsLimit": 50}, defaults=d)
            docs = []
            async for doc in stats(
                c, stream=False, one_shot=False, defaults=d, running=lambda: True
            ):
                docs.append(doc)
            return docs[0]

    doc = asyncio.run(scenario())
    cpu, pre = doc["cpu_stats"], doc["precpu_stats"]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    assert cpu_delta > 0 and system_delta > 0 and cpu["online_cpus"] >= 1
    percent = cpu_delta / system_delta * cpu["online_cpus"] * 100
    assert 20 < percent < 150  # one busy loop on a shared machine
    assert doc["memory_stats"]["limit"] == 64 << 20 and doc["memory_stats"]["usage"] > 0
    assert doc["pids_stats"] == {"current": 2, "limit": 50}  # sh (the loop) and sleep
    assert "networks" not in doc  # NetworkMode none
