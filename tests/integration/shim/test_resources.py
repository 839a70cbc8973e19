"""What a shim costs and what it notices about its container's resources."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.shim.conftest import Harness, run, shim_pids
from tests.support.bundles import base_config

pytestmark = [pytest.mark.root, pytest.mark.integration]

MiB = 1024 * 1024


def _rollup(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) * 1024
    return fields


def test_an_idle_shim_stays_small(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    # Compiled bytecode, as an installed package has it (the suite may run without .pyc files;
    # only our own package is compiled here).
    src = Path(str(__import__("dockyard").__file__)).parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(src / "shim")],
        capture_output=True,
        check=False,
    )

    async def go() -> None:
        client, _cfg, d = await harness.spawn(["sleep", "1000"])
        await client.start()
        await client.exec(
            exec_id="e",
            process={"args": ["true"], "cwd": "/"},
            tty=False,
            stdin=False,
            detach=True,
        )
        time.sleep(0.5)
        [pid] = shim_pids(d)
        mem = _rollup(pid)
        with capsys.disabled():
            print(
                f"\nidle shim: Pss {mem['Pss'] / MiB:.2f} MiB "
                f"(anon {mem['Pss_Anon'] / MiB:.2f} MiB, file {mem['Pss_File'] / MiB:.2f} MiB), "
                f"Rss {mem['Rss'] / MiB:.2f} MiB"
            )
        # The private part is what each shim really costs (the interpreter's file pages are
        # shared by all shims); a bare CPython 3.11 is about 2.8 MiB of it.
        assert mem["Pss_Anon"] < 5 * MiB
        await client.kill(9)
        await client.delete()

    run(go())


def test_an_oom_killed_container_is_reported_as_such(harness: Harness) -> None:
    cgroup = f"/dockyard-shimtest-{uuid.uuid4().hex[:8]}"
    config = base_config(["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo $x"])
    config["linux"]["cgroupsPath"] = f"{cgroup}/c"
    config["linux"]["resources"]["memory"] = {"limit": 32 * MiB, "swap": 32 * MiB}

    async def go() -> None:
        client, _cfg, _d = await harness.spawn([], config=config)
        await client.start()
        status = await client.wait()
        assert (status.exit_code, status.oom_killed) == (137, True)
        assert (await client.state()).oom_killed
        await client.delete()

    try:
        run(go(), timeout=60)
    finally:
        for controller in Path("/sys/fs/cgroup").iterdir():
            for leftover in (
                controller / cgroup.lstrip("/") / "c",
                controller / cgroup.lstrip("/"),
            ):
                if leftover.is_dir():
                    leftover.rmdir()


def test_a_normal_exit_is_not_an_oom(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["true"])
        await client.start()
        status = await client.wait()
        assert (status.exit_code, status.oom_killed) == (0, False)
        await client.delete()

    run(go())
