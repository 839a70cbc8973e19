"""docker-py 7.1 (the high-level client and a little of its low-level APIClient) against
dockyardd, with the API version negotiated ("auto"), as applications use it.

`DOCKYARD_COMPAT_REFERENCE=dockerd` runs the same tests against Debian's dockerd.
"""

from __future__ import annotations

import io
import secrets
import socket
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import docker
import docker.errors
import pytest
from docker.models.containers import Container

from tests.compat.conftest import Engine, wait_for

# SIGALRM timeouts fail the one test and still run the daemons' teardown; the thread method
# (the project default) ends the whole session and leaves daemons and shims behind.
pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(180, method="signal")]

IMAGE = "busybox:latest"
LABELS = {"dockyard.test": "compat-py"}
SERVE = 'trap "exit 0" TERM; while true; do sleep 0.1; done'


@pytest.fixture
def client(engine: Engine) -> Iterator[docker.DockerClient]:
    c = docker.DockerClient(base_url=engine.host, version="auto", timeout=60)
    yield c
    for leftover in c.containers.list(all=True, filters={"label": "dockyard.test=compat-py"}):
        try:
            leftover.remove(force=True)
        except docker.errors.APIError:  # gone already, or stuck: the test itself reported it
            pass
    c.close()


def run_d(client: docker.DockerClient, *cmd: str, **kwargs: Any) -> Container:
    container: Container = client.containers.run(
        IMAGE, list(cmd), detach=True, labels=LABELS, **kwargs
    )
    return container


def test_ping_version_info(client: docker.DockerClient) -> None:
    assert client.ping() is True
    version = client.version()
    assert version["Os"] == "linux"
    assert tuple(map(int, version["ApiVersion"].split("."))) >= (1, 41)
    assert client.api.api_version == version["ApiVersion"]  # "auto" took the server's
    info = client.info()
    assert info["OSType"] == "linux" and info["Images"] >= 1


def test_images_list_and_get(client: docker.DockerClient, engine: Engine) -> None:
    image = client.images.get(IMAGE)
    assert IMAGE in image.tags
    assert image.id.startswith("sha256:")
    if engine.name == "dockyardd":  # imported with `changes=CMD ["sh"]` (the harness)
        assert image.attrs["Config"]["Cmd"] == ["sh"]
    assert image.id in [i.id for i in client.images.list()]
    assert client.images.list(name="busybox")[0].id == image.id
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("no-such-image:latest")


def test_run_attached_returns_output(client: docker.DockerClient) -> None:
    out = client.containers.run(IMAGE, ["sh", "-c", "echo hello; echo err >&2"], remove=True)
    assert out == b"hello\n"
    both = client.containers.run(
        IMAGE, ["sh", "-c", "echo a; echo b >&2"], remove=True, stderr=True, stdout=True
    )
    assert sorted(both.split()) == [b"a", b"b"]


def test_run_failure_raises_container_error(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.ContainerError) as err:
        client.containers.run(IMAGE, ["sh", "-c", "echo bad >&2; exit 3"], remove=True)
    assert err.value.exit_status == 3
    assert b"bad" in err.value.stderr


def test_run_detached_list_get(client: docker.DockerClient) -> None:
    n = f"py{secrets.token_hex(4)}"
    container = run_d(client, "sleep", "120", name=n)
    assert container.status in ("created", "running")
    container.reload()
    assert container.status == "running"
    assert container.name == n
    assert client.containers.get(n).id == container.id
    assert client.containers.get(container.id[:12]).id == container.id
    listed = client.containers.list(filters={"name": n})
    assert [c.id for c in listed] == [container.id]
    assert container.image.id == client.images.get(IMAGE).id
    assert container.labels == LABELS
    with pytest.raises(docker.errors.NotFound):
        client.containers.get("no-such-container")


def test_logs_stream(client: docker.DockerClient) -> None:
    container = run_d(client, "sh", "-c", "for i in 1 2 3; do echo n$i; sleep 0.2; done")
    lines = list(container.logs(stream=True, follow=True))
    assert b"".join(lines) == b"n1\nn2\nn3\n"
    assert container.logs(tail=1) == b"n3\n"
    assert container.logs(stdout=False) == b""
    stamped = container.logs(timestamps=True).split(b"\n")[0]
    assert stamped.endswith(b" n1") and stamped[:4].isdigit()


def test_exec_run(client: docker.DockerClient) -> None:
    container = run_d(client, "sleep", "120")
    result = container.exec_run(["sh", "-c", "echo out; echo err >&2; exit 4"])
    assert result.exit_code == 4
    assert sorted(result.output.split()) == [b"err", b"out"]
    demuxed = container.exec_run(["sh", "-c", "echo out; echo err >&2"], demux=True)
    assert demuxed.output == (b"out\n", b"err\n")
    env = container.exec_run(["sh", "-c", "echo $X $(id -u) $(pwd)"],
                             environment={"X": "y"}, user="1000", workdir="/tmp")  # fmt: skip
    assert env.output == b"y 1000 /tmp\n"
    streamed = container.exec_run(["sh", "-c", "echo 1; sleep 0.2; echo 2"], stream=True)
    assert b"".join(streamed.output) == b"1\n2\n"
    tty = container.exec_run(["tty"], tty=True)
    assert tty.output.startswith(b"/dev/pts/"), tty.output


def test_attach_socket(client: docker.DockerClient) -> None:
    container = run_d(client, "cat", stdin_open=True)
    sock = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
    raw: socket.socket = sock._sock  # docker-py hands the SocketIO; the socket is under it
    raw.settimeout(10)
    raw.sendall(b"echoed back\n")
    data = b""
    while b"echoed back\n" not in data:
        chunk = raw.recv(4096)
        assert chunk, data
        data += chunk
    # Without a TTY, stdout comes in Docker's 8-byte frames: stream 1, big-endian length.
    assert data[:8] == b"\x01\x00\x00\x00\x00\x00\x00\x0c", data
    sock.close()
    container.reload()
    assert container.status == "running"


def test_stop_start_restart_kill(client: docker.DockerClient) -> None:
    container = run_d(client, "sh", "-c", SERVE)
    container.stop(timeout=5)
    container.reload()
    assert (container.status, container.attrs["State"]["ExitCode"]) == ("exited", 0)
    container.start()
    container.reload()
    assert container.status == "running"
    pid = container.attrs["State"]["Pid"]
    container.restart(timeout=5)
    container.reload()
    assert container.status == "running" and container.attrs["State"]["Pid"] != pid
    container.kill()
    assert container.wait()["StatusCode"] == 137
    with pytest.raises(docker.errors.APIError) as err:
        container.kill()
    assert err.value.status_code == 409
    assert "is not running" in str(err.value.explanation)


def test_pause_unpause(client: docker.DockerClient) -> None:
    container = run_d(client, "sleep", "120")
    container.pause()
    container.reload()
    assert container.status == "paused"
    with pytest.raises(docker.errors.APIError) as err:
        container.exec_run(["true"])
    assert err.value.status_code == 409
    container.unpause()
    container.reload()
    assert container.status == "running"


def test_wait_rename_top_stats(client: docker.DockerClient) -> None:
    waiter = run_d(client, "sh", "-c", "sleep 0.3; exit 9")
    result = waiter.wait(timeout=30)
    # 20.10 sends "Error": null; 28 omits it (WaitResponse.Error is `omitempty`).
    assert result["StatusCode"] == 9 and result.get("Error") is None, result
    container = run_d(client, "sleep", "120", mem_limit="64m")
    new = f"py{secrets.token_hex(4)}"
    container.rename(new)
    container.reload()
    assert container.name == new
    top = container.top()
    assert "PID" in top["Titles"] and "CMD" in top["Titles"]
    assert [p[top["Titles"].index("CMD")] for p in top["Processes"]] == ["sleep 120"]
    stats = container.stats(stream=False)
    assert stats["memory_stats"]["limit"] == 64 << 20
    assert stats["memory_stats"]["usage"] > 0
    assert stats["pids_stats"]["current"] == 1
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert stats["name"] == f"/{new}" and stats["id"] == container.id


def test_diff_export_archives_commit(client: docker.DockerClient) -> None:
    container = run_d(client, "sh", "-c", "echo x > /made; sleep 120")
    assert wait_for(lambda: {"Path": "/made", "Kind": 1} in (container.diff() or []))
    exported = b"".join(container.export())
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        names = {n.removeprefix("./").lstrip("/") for n in tar.getnames()}
    assert {"made", "bin/busybox"} <= names

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("put.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"put\n"))
    assert container.put_archive("/tmp", buffer.getvalue()) is True
    chunks, stat = container.get_archive("/tmp/put.txt")
    assert stat["name"] == "put.txt" and stat["size"] == 4
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
        member = tar.extractfile("put.txt")
        assert member is not None and member.read() == b"put\n"
    with pytest.raises(docker.errors.NotFound):
        container.get_archive("/no/such/file")

    tag = f"pycommit-{secrets.token_hex(3)}"
    image = container.commit(repository=tag, tag="v1", changes=['CMD ["cat", "/made"]'])
    try:
        assert f"{tag}:v1" in image.tags
        assert client.containers.run(f"{tag}:v1", remove=True) == b"x\n"
    finally:
        client.images.remove(f"{tag}:v1", force=True)


def test_remove_and_prune(client: docker.DockerClient) -> None:
    running = run_d(client, "sleep", "120")
    with pytest.raises(docker.errors.APIError) as err:
        running.remove()
    assert err.value.status_code == 409
    running.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(running.id)
    done = run_d(client, "true")
    done.wait()
    keep = run_d(client, "sleep", "120")
    pruned = client.containers.prune(filters={"label": "dockyard.test=compat-py"})
    assert done.id in pruned["ContainersDeleted"]
    assert keep.id not in pruned["ContainersDeleted"]
    assert isinstance(pruned["SpaceReclaimed"], int)
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(done.id)


def test_events_since_until(client: docker.DockerClient) -> None:
    since = datetime.now(UTC)
    time.sleep(0.01)
    n = f"py{secrets.token_hex(4)}"
    client.containers.run(IMAGE, ["true"], name=n, labels=LABELS)
    time.sleep(1.1)
    until = datetime.now(UTC)
    events = list(client.events(since=since, until=until, decode=True, filters={"container": n}))
    actions = [e["Action"] for e in events if e["Action"] in ("create", "start", "die")]
    assert actions == ["create", "start", "die"], events
    die = next(e for e in events if e["Action"] == "die")
    assert die["Type"] == "container" and die["Actor"]["Attributes"]["name"] == n
    assert die["status"] == "die" and die["from"] == IMAGE  # the legacy fields
    assert isinstance(die["timeNano"], int) and die["time"] == die["timeNano"] // 10**9


def test_low_level_create_with_host_config(client: docker.DockerClient) -> None:
    api = client.api
    host_config = api.create_host_config(
        mem_limit="32m",
        pids_limit=20,
        cap_drop=["ALL"],
        read_only=True,
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 2},
        tmpfs={"/scratch": "size=1m"},
    )
    created = api.create_container(
        IMAGE,
        ["sh", "-c", "grep CapEff /proc/self/status; touch /scratch/ok && echo tmpfs-ok"],
        host_config=host_config,
        labels=LABELS,
        environment={"K": "v"},
        working_dir="/scratch",
    )
    cid = created["Id"]
    assert created["Warnings"] in ([], None)
    doc = api.inspect_container(cid)
    hc = doc["HostConfig"]
    assert hc["Memory"] == 32 << 20 and hc["PidsLimit"] == 20
    assert hc["CapDrop"] == ["ALL"] and hc["ReadonlyRootfs"] is True
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert hc["Tmpfs"] == {"/scratch": "size=1m"}
    assert "K=v" in doc["Config"]["Env"] and doc["Config"]["WorkingDir"] == "/scratch"
    api.start(cid)
    assert api.wait(cid)["StatusCode"] == 0
    out = api.logs(cid)
    assert out == b"CapEff:\t0000000000000000\ntmpfs-ok\n"
    with pytest.raises(docker.errors.APIError) as err:
        api.create_container(IMAGE, ["true"], host_config=api.create_host_config(mem_limit="1k"))
    assert err.value.status_code == 400
    assert "Minimum memory limit allowed is 6MB" in str(err.value.explanation)
