"""Processes started in a running container through the shim (`docker exec`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import errdefs
from tests.integration.shim.conftest import Harness, run
from tests.integration.shim.test_lifecycle import collect

pytestmark = [pytest.mark.root, pytest.mark.integration]


def process(*args: str) -> dict[str, object]:
    return {"args": list(args), "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}


def test_exec_output_and_exit_code_reach_the_client_not_the_log(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, d = await harness.spawn(["sleep", "1000"])
        await client.start()
        pid, stream = await client.exec(
            exec_id="e1",
            process=process("sh", "-c", "echo out; echo err >&2; exit 3"),
            tty=False,
            stdin=False,
            detach=False,
        )
        assert pid > 0 and stream is not None
        assert sorted(await collect(stream)) == [(1, b"out\n"), (2, b"err\n")]
        assert stream.exit_status is not None and stream.exit_status.exit_code == 3
        state = await client.exec_state("e1")
        assert (state.pid, state.running, state.exit_code) == (pid, False, 3)
        assert Path(cfg.log.path).read_text() == ""
        assert not [p for p in d.iterdir() if p.name.startswith("exec-")]  # files cleaned
        await client.kill(9)
        await client.wait()
        await client.delete()

    run(go())


def test_exec_with_stdin_and_a_signal_exit(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        _pid, stream = await client.exec(
            exec_id="cat", process=process("cat"), tty=False, stdin=True, detach=False
        )
        assert stream is not None
        await stream.write_stdin(b"piped\n")
        await stream.close_stdin()
        assert await collect(stream) == [(1, b"piped\n")]
        _pid, stream = await client.exec(
            exec_id="term",
            process=process("sh", "-c", "kill -TERM $$; sleep 5"),
            tty=False,
            stdin=False,
            detach=False,
        )
        assert stream is not None
        await collect(stream)
        assert stream.exit_status is not None and stream.exit_status.exit_code == 143
        await client.kill(9)
        await client.delete()

    run(go())


def test_exec_with_a_tty(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        _pid, stream = await client.exec(
            exec_id="t",
            process=process("sh", "-c", "tty; stty size"),
            tty=True,
            stdin=False,
            detach=False,
        )
        assert stream is not None
        out = b"".join(data for _, data in await collect(stream))
        assert out.startswith(b"/dev/pts/") and out.endswith(b"\r\n")
        await client.kill(9)
        await client.delete()

    run(go())


def test_detached_exec_runs_and_is_reaped(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        pid, stream = await client.exec(
            exec_id="bg",
            process=process("sh", "-c", "exit 5"),
            tty=False,
            stdin=False,
            detach=True,
        )
        assert stream is None
        for _ in range(100):
            state = await client.exec_state("bg")
            if not state.running:
                break
            await __import__("asyncio").sleep(0.05)
        assert (state.pid, state.running, state.exit_code) == (pid, False, 5)
        # reaped: no zombie left behind under the shim
        assert not Path(f"/proc/{pid}").exists()
        await client.kill(9)
        await client.delete()

    run(go())


def test_exec_of_a_missing_binary_reports_the_runtime_error(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        with pytest.raises(errdefs.Unknown, match=r"OCI runtime exec failed: .*nonexistent"):
            await client.exec(
                exec_id="bad",
                process=process("nonexistent"),
                tty=False,
                stdin=False,
                detach=False,
            )
        with pytest.raises(errdefs.NotFound):
            await client.exec_state("bad")
        await client.kill(9)
        await client.delete()

    run(go())


def test_exec_refuses_a_stopped_container_and_duplicate_ids(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        with pytest.raises(errdefs.FailedPrecondition, match="is not running"):
            await client.exec(
                exec_id="x", process=process("true"), tty=False, stdin=False, detach=True
            )
        await client.start()
        await client.exec(exec_id="x", process=process("true"), tty=False, stdin=False, detach=True)
        with pytest.raises(errdefs.AlreadyExists):
            await client.exec(
                exec_id="x", process=process("true"), tty=False, stdin=False, detach=True
            )
        with pytest.raises(errdefs.InvalidArgument):
            await client.exec(
                exec_id="../x", process=process("true"), tty=False, stdin=False, detach=True
            )
        await client.kill(9)
        await client.delete()

    run(go())
