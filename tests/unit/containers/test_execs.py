"""execs: moby's exec semantics (create, start, inspect, events, probes) over a fake shim."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.execs import Execs, go_duration, start_exit_code
from dockyard.containers.state import Status
from dockyard.containers.streams import frame
from dockyard.shim.client import ExecState, ExitStatus
from tests.unit.containers.fakes import FakeConn

CID = "b" * 64


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        assert type == "container" and actor_id == CID
        self.seen.append((action, dict(attributes or {})))

    def actions(self) -> list[str]:
        return [a for a, _ in self.seen]


class FakeStream:
    """A ShimStream: frames, then the exit frame (or nothing while `hold` is unset)."""

    def __init__(self, frames: list[tuple[int, bytes]], exit_code: int | None = 0) -> None:
        self.frames = list(frames)
        self.exit_code = exit_code
        self.exit_status: ExitStatus | None = None
        self.hold = asyncio.Event()
        if exit_code is not None:
            self.hold.set()
        self.stdin = bytearray()
        self.stdin_closed = False
        self.closed = False

    async def read_frame(self) -> tuple[int, bytes] | None:
        if self.frames:
            return self.frames.pop(0)
        await self.hold.wait()
        if self.frames:
            return self.frames.pop(0)
        if self.exit_code is not None:
            self.exit_status = ExitStatus(exit_code=self.exit_code, exited_at="")
        return None

    async def write_stdin(self, data: bytes) -> None:
        self.stdin += data

    async def close_stdin(self) -> None:
        self.stdin_closed = True

    def close(self) -> None:
        self.closed = True


class FakeShim:
    """The exec side of a shim: records requests, hands out prepared streams."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.streams: list[FakeStream] = []
        self.states: list[ExecState] = []
        self.resized: list[tuple[int, int, str]] = []
        self.fail: Exception | None = None
        self.killed: list[int] = []
        self.started: list[FakeStream] = []

    async def exec(
        self, *, exec_id: str, process: dict[str, Any], tty: bool, stdin: bool, detach: bool
    ) -> tuple[int, FakeStream | None]:
        self.requests.append(
            {"exec_id": exec_id, "process": process, "tty": tty, "stdin": stdin, "detach": detach}
        )
        if self.fail is not None:
            raise self.fail
        if detach:
            return 4321, None
        self.started.append(self.streams.pop(0))
        return 4321, self.started[-1]

    async def exec_state(self, exec_id: str) -> ExecState:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    async def resize(self, *, height: int, width: int, exec_id: str = "") -> None:
        self.resized.append((height, width, exec_id))

    def kill(self, pid: int) -> None:
        """What SIGKILL does to a probe: its stream ends with exit 137."""
        self.killed.append(pid)
        for stream in self.started:
            stream.exit_code = 137
            stream.hold.set()


def make(tmp_path: Path) -> tuple[Execs, FakeShim, Events, Container]:
    events = Events()
    deps = ContainerDeps(
        data_root=str(tmp_path),
        exec_root=str(tmp_path),
        images=None,  # type: ignore[arg-type]  # execs never touch images
        snapshotter=None,  # type: ignore[arg-type]
        events=events,
        runtimes={},
        default_runtime="dockyard",
        shim=(),
    )
    shim = FakeShim()
    execs = Execs(deps, shim=lambda path: shim, kill=shim.kill)
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"
    )
    (rootfs / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={
            "Image": "busybox",
            "Env": ["PATH=/bin", "A=1"],
            "WorkingDir": "/srv",
            "User": "",
            "Labels": {"tier": "web"},
            "Hostname": "abc",
        },
        host_config={},
        data_dir=str(tmp_path),
        exec_dir=str(tmp_path),
    )
    c.state.status = Status.RUNNING
    c.rootfs = str(rootfs)
    return execs, shim, events, c


def test_create_validates_like_docker(tmp_path: Path) -> None:
    execs, _, events, c = make(tmp_path)
    with pytest.raises(errdefs.InvalidArgument, match="No exec command specified"):
        execs.create(c, {"Cmd": []})
    with pytest.raises(errdefs.InvalidArgument, match=r"Invalid escape keys \(bogus\) provided"):
        execs.create(c, {"Cmd": ["ls"], "DetachKeys": "bogus"})
    c.state.status = Status.PAUSED
    with pytest.raises(errdefs.Conflict, match="is paused, unpause the container before exec"):
        execs.create(c, {"Cmd": ["ls"]})
    c.state.status = Status.EXITED
    with pytest.raises(errdefs.Conflict, match=f"Container {CID} is not running"):
        execs.create(c, {"Cmd": ["ls"]})
    assert events.seen == []


def test_create_registers_and_inspect_shows_dockers_document(tmp_path: Path) -> None:
    execs, _, events, c = make(tmp_path)
    exec_id = execs.create(
        c, {"Cmd": ["ls", "-l"], "AttachStdout": True, "Tty": True, "DetachKeys": "ctrl-p,ctrl-q"}
    )
    assert len(exec_id) == 64 and exec_id in c.exec_ids
    assert execs.container_of(exec_id) == CID
    assert events.seen == [
        (
            "exec_create: ls -l",
            {"tier": "web", "image": "busybox", "name": "web", "execID": exec_id},
        )
    ]
    assert execs.inspect(exec_id) == {
        "ID": exec_id,
        "Running": False,
        "ExitCode": None,
        "ProcessConfig": {
            "tty": True,
            "entrypoint": "ls",
            "arguments": ["-l"],
            "privileged": False,
        },
        "OpenStdin": False,
        "OpenStdout": True,
        "OpenStderr": False,
        "CanRemove": False,
        "ContainerID": CID,
        "DetachKeys": base64.b64encode(b"\x10\x11").decode(),
        "Pid": 0,
    }
    with pytest.raises(errdefs.NotFound, match="No such exec instance: nope"):
        execs.inspect("nope")


def test_start_attached_pumps_output_and_records_the_exit(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    exec_id = execs.create(
        c, {"Cmd": ["sh", "-c", "x"], "AttachStdout": True, "AttachStderr": True, "Env": ["A=2"]}
    )
    shim.streams.append(FakeStream([(1, b"out"), (2, b"err")], exit_code=3))
    conn = FakeConn([])
    asyncio.run(execs.start(exec_id, container=c, detach=False, tty=None, conn=conn))
    assert bytes(conn.out) == frame(1, b"out") + frame(2, b"err") and conn.write_closed
    req = shim.requests[0]
    assert req["exec_id"] == exec_id and not req["detach"] and not req["stdin"]
    process = req["process"]
    assert process["args"] == ["sh", "-c", "x"] and process["cwd"] == "/srv"
    assert "A=2" in process["env"] and "A=1" not in process["env"]
    info = execs.inspect(exec_id)
    assert info["ExitCode"] == 3 and not info["Running"] and info["Pid"] == 4321
    assert exec_id not in c.exec_ids
    assert events.actions() == ["exec_create: sh -c x", "exec_start: sh -c x", "exec_die"]
    assert events.seen[-1][1]["exitCode"] == "3" and events.seen[-1][1]["execID"] == exec_id
    with pytest.raises(errdefs.Conflict, match=f"exec command {exec_id} has already run"):
        asyncio.run(execs.start(exec_id, container=c, detach=False, tty=None, conn=conn))


def test_start_with_tty_false_override_frames_a_tty_exec(tmp_path: Path) -> None:
    execs, shim, _, c = make(tmp_path)
    exec_id = execs.create(c, {"Cmd": ["top"], "Tty": True, "AttachStdout": True})
    shim.streams.append(FakeStream([(1, b"screen")]))
    conn = FakeConn([])
    asyncio.run(execs.start(exec_id, container=c, detach=False, tty=False, conn=conn))
    assert bytes(conn.out) == frame(1, b"screen")
    assert shim.requests[0]["tty"] is True


def test_interactive_tty_exec_detaches_on_the_keys(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    exec_id = execs.create(
        c, {"Cmd": ["sh"], "Tty": True, "AttachStdin": True, "AttachStdout": True}
    )
    stream = FakeStream([], exit_code=None)
    shim.streams.append(stream)
    shim.states.append(ExecState(pid=4321, running=False, exit_code=0))
    conn = FakeConn([b"ls\n", b"\x10\x11"])

    async def main() -> None:
        await execs.start(exec_id, container=c, detach=False, tty=None, conn=conn)
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert shim.requests[0]["stdin"] and bytes(stream.stdin) == b"ls\n"
    assert "exec_detach" in events.actions()
    assert events.actions()[-1] == "exec_die"  # learned from exec_state afterwards


def test_detached_start_follows_the_exit_through_exec_state(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    exec_id = execs.create(c, {"Cmd": ["sleep", "1"]})
    shim.states += [
        ExecState(pid=4321, running=True),
        ExecState(pid=4321, running=False, exit_code=0),
    ]

    async def main() -> dict[str, Any]:
        await execs.start(exec_id, container=c, detach=True, tty=None, conn=None)
        running = execs.inspect(exec_id)
        with pytest.raises(errdefs.Conflict, match="is already running"):
            await execs.start(exec_id, container=c, detach=True, tty=None, conn=None)
        for _ in range(100):
            if not execs.inspect(exec_id)["Running"]:
                break
            await asyncio.sleep(0.05)
        await execs.close()
        return running

    running = asyncio.run(main())
    assert running["Running"] and running["Pid"] == 4321
    assert execs.inspect(exec_id)["ExitCode"] == 0
    assert events.actions()[-1] == "exec_die"


def test_a_start_the_runtime_refuses_is_written_to_the_client(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    exec_id = execs.create(c, {"Cmd": ["nope"], "AttachStdout": True})
    shim.fail = errdefs.Unknown('exec: "nope": executable file not found in $PATH')
    conn = FakeConn([])
    asyncio.run(execs.start(exec_id, container=c, detach=False, tty=None, conn=conn))
    assert bytes(conn.out) == frame(1, b'exec: "nope": executable file not found in $PATH\r\n')
    assert execs.inspect(exec_id)["ExitCode"] == 127
    assert "exec_die" not in events.actions()
    detached_id = execs.create(c, {"Cmd": ["nope"]})
    with pytest.raises(errdefs.Unknown):
        asyncio.run(execs.start(detached_id, container=c, detach=True, tty=None, conn=None))


def test_forget_drops_unfinished_execs_and_keeps_finished_ones(tmp_path: Path) -> None:
    execs, shim, _, c = make(tmp_path)
    done_id = execs.create(c, {"Cmd": ["true"]})
    shim.streams.append(FakeStream([]))
    asyncio.run(execs.start(done_id, container=c, detach=False, tty=None, conn=None))
    pending = execs.create(c, {"Cmd": ["true"]})
    execs.forget(CID)
    assert execs.inspect(done_id)["ExitCode"] == 0
    with pytest.raises(errdefs.NotFound):
        execs.inspect(pending)


def test_resize_goes_to_the_exec(tmp_path: Path) -> None:
    execs, shim, _, c = make(tmp_path)
    exec_id = execs.create(c, {"Cmd": ["sh"], "Tty": True})
    asyncio.run(execs.start(exec_id, container=c, detach=True, tty=None, conn=None))
    shim.states.append(ExecState(pid=1, running=True))
    asyncio.run(execs.resize(exec_id, container=c, height=40, width=120))
    assert shim.resized == [(40, 120, exec_id)]


def test_probe_run_caps_output_and_runs_as_the_container_user(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    c.config["User"] = "nobody"
    shim.streams.append(FakeStream([(1, b"x" * 3000), (2, b"y" * 3000)], exit_code=1))
    code, output = asyncio.run(execs.run(c, ["/bin/sh", "-c", "check"], timeout=5))
    assert code == 1 and output == b"x" * 3000 + b"y" * 1096
    process = shim.requests[0]["process"]
    assert process["user"]["uid"] == 65534 and not process["terminal"]
    assert events.actions() == [
        "exec_create: /bin/sh -c check",
        "exec_start: /bin/sh -c check",
        "exec_die",
    ]


def test_probe_past_its_timeout_is_killed_and_reported(tmp_path: Path) -> None:
    execs, shim, events, c = make(tmp_path)
    shim.streams.append(FakeStream([(1, b"partial")], exit_code=None))
    code, output = asyncio.run(execs.run(c, ["sleep", "9"], timeout=0.05))
    assert code == -1
    assert output == b"Health check exceeded timeout (50ms): partial"
    assert shim.killed == [4321]
    assert events.seen[-1][0] == "exec_die" and events.seen[-1][1]["exitCode"] == "137"


def test_go_duration_and_exit_codes() -> None:
    assert [go_duration(s) for s in (30, 1.5, 0.1, 90, 3600, 0)] == [
        "30s",
        "1.5s",
        "100ms",
        "1m30s",
        "1h0m0s",
        "0s",
    ]
    assert start_exit_code(errdefs.Unknown("open /x: no such file or directory")) == 127
    assert start_exit_code(errdefs.Unknown("exec /x: permission denied")) == 126
