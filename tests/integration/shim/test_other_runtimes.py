"""The shim drives any runc-compatible runtime: the same flows under runc itself."""

from __future__ import annotations

import os

import pytest

from tests.integration.shim.conftest import Harness, run
from tests.integration.shim.test_lifecycle import collect
from tests.support.runtimes import RUNC

pytestmark = [
    pytest.mark.root,
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(RUNC), reason="runc is not installed"),
]


def test_runc_with_a_tty_a_resize_an_exec_and_a_kill(harness: Harness) -> None:
    # a directory too deep for sun_path: runc reaches the console socket through /proc
    deep = harness.tmp / ("r" * 70) / ("s" * 50)

    async def go() -> None:
        client, _cfg, _d = await harness.spawn(
            ["sh", "-c", "stty size; read x; stty size; sleep 1000"],
            tty=True,
            open_stdin=True,
            console_size=(24, 80),
            runtime=RUNC,
            directory=deep,
        )
        stream = await client.attach(stdin=True, stdout=True, stderr=True, close_stdin=False)
        await client.start()
        out = b""
        while b"24 80\r\n" not in out:
            frame = await stream.read_frame()
            assert frame is not None, out
            out += frame[1]
        await client.resize(height=50, width=132)
        await stream.write_stdin(b"\n")
        while b"50 132\r\n" not in out:
            frame = await stream.read_frame()
            assert frame is not None, out
            out += frame[1]
        _pid, ex = await client.exec(
            exec_id="e",
            process={
                "args": ["sh", "-c", "echo from exec; exit 4"],
                "cwd": "/",
                "env": ["PATH=/bin"],
                "user": {"uid": 0, "gid": 0},
            },
            tty=False,
            stdin=False,
            detach=False,
        )
        assert ex is not None and await collect(ex) == [(1, b"from exec\n")]
        assert ex.exit_status is not None and ex.exit_status.exit_code == 4
        await client.kill(9)
        assert (await client.wait()).exit_code == 137
        await client.delete()

    run(go())
