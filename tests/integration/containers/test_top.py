"""top against a real container: the host's ps filtered to its cgroup."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.integration.containers.test_execs import live_container

from dockyard.containers.top import top

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(60)]


def test_top_lists_only_the_container_processes(rootfs: Path) -> None:
    async def scenario() -> None:
        async with live_container(rootfs, ["sh", "-c", "sleep 1000 & sleep 2000"]) as (c, _, d):
            await asyncio.sleep(0.3)
            doc = await top(c, ps_args="-ef", defaults=d)
            assert doc["Titles"][-1] == "CMD"
            cmds = sorted(row[-1] for row in doc["Processes"])
            assert cmds == ["sleep 1000", "sleep 2000"]
            doc = await top(c, ps_args="-o pid,comm", defaults=d)
            assert doc["Titles"] == ["PID", "COMMAND"]
            assert [row[1] for row in doc["Processes"]] == ["sleep", "sleep"]

    asyncio.run(scenario())
