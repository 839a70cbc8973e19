"""logs: Docker's since/until/tail/timestamps, wire framing, and following a live log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.logs import format_timestamp, logs, parse_tail, parse_time
from dockyard.containers.state import Status
from dockyard.containers.streams import frame
from dockyard.shim.logs import open_writer

CID = "f" * 64
T0 = 1_700_000_000 * 10**9  # 2023-11-14T22:13:20Z


def container(tmp_path: Path, *, tty: bool = False, driver: str = "json-file") -> Container:
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={"Tty": tty},
        host_config={"LogConfig": {"Type": driver, "Config": {}}},
        data_dir=str(tmp_path),
        exec_dir=str(tmp_path),
    )
    c.state.status = Status.RUNNING
    return c


def write(c: Container, entries: list[tuple[str, bytes, int]]) -> None:
    w = open_writer("json-file", c.log_path, {})
    for stream, data, t in entries:
        w.write(stream, data, t)
    w.close()


def read_all(c: Container, **kwargs: Any) -> bytes:
    args: dict[str, Any] = {
        "follow": False,
        "stdout": True,
        "stderr": True,
        "since": "",
        "until": "",
        "timestamps": False,
        "tail": "all",
        "running": lambda: False,
    }
    args.update(kwargs)

    async def main() -> bytes:
        out = b""
        async for chunk in logs(c, **args):
            out += chunk
        return out

    return asyncio.run(main())


def test_time_parsing_as_docker() -> None:
    assert parse_time("", name="since") == 0
    assert parse_time("1700000000", name="since") == T0
    assert parse_time("1700000000.5", name="since") == T0 + 500_000_000
    assert parse_time("1700000000.000000001", name="since") == T0 + 1
    assert parse_time("2023-11-14T22:13:20Z", name="since") == T0
    assert parse_time("10m", name="since", now_ns=T0) == T0 - 600 * 10**9
    with pytest.raises(errdefs.InvalidArgument, match='invalid value for "until"'):
        parse_time("yesterday", name="until")


def test_tail_and_timestamp_formats() -> None:
    assert parse_tail("all") == -1 and parse_tail("") == -1 and parse_tail("-3") == -1
    assert parse_tail("0") == 0 and parse_tail("5") == 5
    assert format_timestamp(T0 + 120_000) == "2023-11-14T22:13:20.000120000Z"


def test_frames_streams_and_filters(tmp_path: Path) -> None:
    c = container(tmp_path)
    write(
        c,
        [
            ("stdout", b"one\n", T0),
            ("stderr", b"two\n", T0 + 10**9),
            ("stdout", b"3\n", T0 + 2 * 10**9),
        ],
    )
    assert read_all(c) == frame(1, b"one\n") + frame(2, b"two\n") + frame(1, b"3\n")
    assert read_all(c, stderr=False) == frame(1, b"one\n") + frame(1, b"3\n")
    assert read_all(c, tail="1") == frame(1, b"3\n")
    assert read_all(c, since="1700000001") == frame(2, b"two\n") + frame(1, b"3\n")
    assert read_all(c, until="1700000001") == frame(1, b"one\n") + frame(2, b"two\n")
    assert read_all(c, tail="2", stdout=False, timestamps=True) == frame(
        2, b"2023-11-14T22:13:21.000000000Z two\n"
    )


def test_tty_container_logs_are_raw(tmp_path: Path) -> None:
    c = container(tmp_path, tty=True)
    write(c, [("stdout", b"a\r\n", T0), ("stdout", b"b\r\n", T0 + 1)])
    assert read_all(c) == b"a\r\nb\r\n"
    on_disk = json.loads(Path(c.log_path).read_text().splitlines()[0])
    assert on_disk["log"] == "a\r\n"


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(errdefs.Unimplemented, match="does not support reading"):
        read_all(container(tmp_path, driver="none"))
    with pytest.raises(errdefs.InvalidArgument, match="You must choose at least one stream"):
        read_all(container(tmp_path), stdout=False, stderr=False)
    dead = container(tmp_path)
    dead.state.status = Status.REMOVING
    with pytest.raises(errdefs.Conflict, match="dead or marked for removal"):
        read_all(dead)


def test_follow_streams_new_lines_until_the_container_stops(tmp_path: Path) -> None:
    c = container(tmp_path)
    write(c, [("stdout", b"early\n", T0)])
    alive = {"running": True}

    async def main() -> list[bytes]:
        got: list[bytes] = []
        w = open_writer("json-file", c.log_path, {})

        async def produce() -> None:
            await asyncio.sleep(0.05)
            w.write("stdout", b"late\n", T0 + 5)
            await asyncio.sleep(0.05)
            w.write("stderr", b"last\n", T0 + 6)
            alive["running"] = False  # output drained before the exit, as the shim does

        task = asyncio.create_task(produce())
        async for chunk in logs(
            c,
            follow=True,
            stdout=True,
            stderr=True,
            since="",
            until="",
            timestamps=False,
            tail="all",
            running=lambda: alive["running"],
            poll_interval=0.01,
        ):
            got.append(chunk)
        await task
        w.close()
        return got

    got = asyncio.run(asyncio.wait_for(main(), 10))
    assert b"".join(got) == frame(1, b"early\n") + frame(1, b"late\n") + frame(2, b"last\n")


def test_follow_of_a_stopped_container_returns_at_once(tmp_path: Path) -> None:
    c = container(tmp_path)
    write(c, [("stdout", b"x\n", T0)])
    assert read_all(c, follow=True) == frame(1, b"x\n")
