"""The real docker CLI against the API over fakes: what it parses and the order it calls in.

`docker run -i` attaches (hijack), posts wait (and waits for its headers), starts, sends
stdin, half-closes at its end and reads the output to the end: every piece of the protocol
at once. Skipped where no docker CLI is installed.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest
from tests.unit.api.fakes import FakeDaemon, api

from dockyard import errdefs

DOCKER = shutil.which("docker")
ENV = {"DOCKER_CONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"}
pytestmark = pytest.mark.skipif(DOCKER is None, reason="the docker CLI is not installed")


async def docker(path: str, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    assert DOCKER is not None
    proc = await asyncio.create_subprocess_exec(
        DOCKER, "-H", f"unix://{path}", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=ENV,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin), 30)
    assert proc.returncode is not None
    return proc.returncode, out, err


def run(main: Any) -> None:
    asyncio.run(main())


def test_version_create_start_and_errors() -> None:
    async def main() -> None:
        async with api() as (_, _daemon, path):
            code, out, _ = await docker(path, "version", "--format", "{{.Server.APIVersion}}")
            assert (code, out) == (0, b"1.51\n")
            code, out, _ = await docker(path, "create", "--name", "c1", "busybox")
            assert code == 0 and out.strip() == b"%064x" % 1
            assert (await docker(path, "start", "c1"))[:2] == (0, b"c1\n")
            code, _, err = await docker(path, "kill", "nosuch")
            assert code == 1
            assert err == (
                b"Error response from daemon: cannot kill container: nosuch:"
                b" No such container: nosuch\n"
            )

    run(main)


def test_run_interactive_ends_stdin_and_reads_all_output() -> None:
    async def main() -> None:
        daemon = FakeDaemon()
        async with api(daemon) as (_, _daemon, path):

            async def exit_later() -> None:
                await daemon.containers.wait_registered.wait()
                await asyncio.sleep(1)
                for container in daemon.containers.containers.values():
                    container.exit_code = 7
                    container.exit.set()

            stopper = asyncio.create_task(exit_later())
            code, out, err = await docker(path, "run", "-i", "busybox", "cat", stdin=b"hello\n")
            await stopper
            assert (code, out) == (7, b"hello\nbye"), err
            order = [name for name, _ in daemon.containers.calls if name != "create"]
            assert order == ["attach", "wait", "start"]

    run(main)


def test_pull_progress_is_rendered() -> None:
    async def main() -> None:
        async with api() as (_, daemon, path):
            code, out, _ = await docker(path, "pull", "busybox")
            assert code == 0
            assert b"Status: Downloaded newer image for busybox:latest" in out
            daemon.image_ops.pull_messages = []
            daemon.image_ops.pull_error = errdefs.NotFound(
                "manifest for busybox:nope not found: manifest unknown"
            )
            code, _, err = await docker(path, "pull", "busybox:nope")
            assert code == 1
            assert b"Error response from daemon: manifest for busybox:nope not found" in err

    run(main)
