"""logs against a real container: the shim's json-file log read back and followed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.integration.containers.test_execs import live_container

from dockyard.containers.logs import logs

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(60)]


def test_follow_sees_output_written_after_it_started(rootfs: Path) -> None:
    script = "echo first; echo oops >&2; sleep 0.5; echo second; sleep 1000"

    async def scenario() -> bytes:
        async with live_container(rootfs, ["sh", "-c", script]) as (c, client, _):
            out = b""
            alive = {"yes": True}
            async for chunk in logs(
                c, follow=True, stdout=True, stderr=True, since="", until="",
                timestamps=True, tail="all", running=lambda: alive["yes"], poll_interval=0.05,
            ):  # fmt: skip
                out += chunk
                if b"second" in out:
                    await client.kill(9, all=True)
                    await client.wait()
                    alive["yes"] = False
            return out

    out = asyncio.run(scenario())
    assert out.startswith(b"\x01\x00\x00\x00") and b"Z first\n" in out and b"Z oops\n" in out
    assert b"\x02\x00\x00\x00" in out and out.endswith(b"Z second\n")
