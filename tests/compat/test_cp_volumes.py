"""`docker cp` sees what the container sees (issue 7, H13): through the real docker CLI, a
path in a named volume or a bind mount is read and written there, for a running and for a
stopped container; a read-only volume refuses a write with Docker's message; the container's
own mounts are untouched and nothing stays mounted in the daemon's namespace; `docker export`
still leaves volumes out. Docker 28 mounts them in a private namespace (moby
daemon/containerfs_linux.go); tmpfs mounts are not in its view."""

from __future__ import annotations

import io
import json
import secrets
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.conftest import Engine, wait_for
from tests.support.dockerd import Docker
from tests.support.dockyardd import docker_clis

pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(240, method="signal")]

IMAGE = "busybox:latest"
LABEL = "dockyard.test=compat-cp-volumes"


def _cli() -> str:
    clis = docker_clis()
    return "/usr/local/bin/docker" if "/usr/local/bin/docker" in clis else clis[0]


@pytest.fixture
def docker(engine: Engine) -> Iterator[Docker]:
    cli = engine.docker(_cli())
    yield cli
    ids = cli("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        cli("rm", "-f", "-v", *ids, check=False, timeout=120)
    names = cli("volume", "ls", "-q", "--filter", f"label={LABEL}", check=False).stdout.split()
    if names:
        cli("volume", "rm", "-f", *names, check=False)


@pytest.fixture
def host_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cpvol") as d:
        yield Path(d)


def volume(docker: Docker) -> str:
    name = f"cpvol{secrets.token_hex(4)}"
    docker("volume", "create", "--label", LABEL, name)
    return name


def mountpoint(docker: Docker, name: str) -> Path:
    return Path(docker("volume", "inspect", "-f", "{{.Mountpoint}}", name).stdout.strip())


def start(docker: Docker, *args: str) -> str:
    cid = docker("run", "-d", "--label", LABEL, *args, IMAGE, "sleep", "300").stdout.strip()
    return cid


def container_mountinfo(docker: Docker, cid: str) -> list[str]:
    """The container's own mount table, mount ids dropped (they are what a change would
    show, but a remount keeps them)."""
    lines = docker("exec", cid, "cat", "/proc/self/mountinfo").stdout.splitlines()
    return sorted(line.split(" ", 1)[1] for line in lines)


def daemon_mounts(engine: Engine) -> list[str]:
    """Mount points under the daemon's data-root, as this (the daemon's) namespace has them."""
    root = str(engine.daemon.data_root) if engine.daemon is not None else "/var/lib/docker"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return sorted(p for p in points if p.startswith(root))


def view_threads(engine: Engine) -> int:
    """Threads of dockyardd in a mount namespace of their own: cp views still open."""
    if engine.daemon is None:
        return 0
    task = Path(f"/proc/{engine.daemon.pid}/task")
    main = (task.parent / "ns" / "mnt").readlink()
    count = 0
    for tid in task.iterdir():
        try:
            count += (tid / "ns" / "mnt").readlink() != main
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return count


def cp_out(docker: Docker, src: str) -> dict[str, bytes]:
    """`docker cp CONTAINER:PATH -` as {member name: content (b"" for non-files)}."""
    proc = subprocess.run(
        [docker.cli, "cp", src, "-"], env=docker.env, capture_output=True, timeout=60, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        return {
            m.name: (tar.extractfile(m).read() if m.isfile() else b"")  # type: ignore[union-attr]
            for m in tar.getmembers()
        }


def test_cp_out_of_and_into_a_named_volume_running_and_stopped(
    docker: Docker, engine: Engine, tmp_path: Path
) -> None:
    vol = volume(docker)
    host = mountpoint(docker, vol)
    cid = start(docker, "-v", f"{vol}:/srv/data")
    docker("exec", cid, "sh", "-c", "echo from-inside > /srv/data/f")
    before = container_mountinfo(docker, cid)

    docker("cp", f"{cid}:/srv/data/f", str(tmp_path / "f"))
    assert (tmp_path / "f").read_text() == "from-inside\n"
    assert cp_out(docker, f"{cid}:/srv")["srv/data/f"] == b"from-inside\n"  # a parent of it
    (tmp_path / "in").write_text("from-host\n")
    docker("cp", str(tmp_path / "in"), f"{cid}:/srv/data/in")
    assert (host / "in").read_text() == "from-host\n"  # in the volume, not under it
    assert docker("exec", cid, "cat", "/srv/data/in").stdout == "from-host\n"
    assert container_mountinfo(docker, cid) == before

    docker("stop", "-t", "0", cid)
    mounts = daemon_mounts(engine)
    docker("cp", f"{cid}:/srv/data/in", str(tmp_path / "again"))
    assert (tmp_path / "again").read_text() == "from-host\n"
    (tmp_path / "stopped").write_text("while-stopped\n")
    docker("cp", str(tmp_path / "stopped"), f"{cid}:/srv/data/")
    assert (host / "stopped").read_text() == "while-stopped\n"
    stat = docker("container", "cp", f"{cid}:/srv/data/f", "-", check=False)
    assert stat.returncode == 0
    assert daemon_mounts(engine) == mounts  # nothing of the cp stayed mounted
    docker("start", cid)
    assert docker("exec", cid, "cat", "/srv/data/stopped").stdout == "while-stopped\n"


def test_cp_out_of_and_into_a_bind_mount(
    docker: Docker, engine: Engine, host_dir: Path, tmp_path: Path
) -> None:
    (host_dir / "h").write_text("on-the-host\n")
    cid = start(docker, "-v", f"{host_dir}:/b")
    before = container_mountinfo(docker, cid)
    docker("cp", f"{cid}:/b/h", str(tmp_path / "h"))
    assert (tmp_path / "h").read_text() == "on-the-host\n"
    (tmp_path / "new").write_text("copied-in\n")
    docker("cp", str(tmp_path / "new"), f"{cid}:/b/")
    assert (host_dir / "new").read_text() == "copied-in\n"
    assert container_mountinfo(docker, cid) == before

    docker("stop", "-t", "0", cid)
    mounts = daemon_mounts(engine)
    assert cp_out(docker, f"{cid}:/b")["b/new"] == b"copied-in\n"
    (tmp_path / "later").write_text("stopped\n")
    docker("cp", str(tmp_path / "later"), f"{cid}:/b/later")
    assert (host_dir / "later").read_text() == "stopped\n"
    assert daemon_mounts(engine) == mounts


def test_cp_into_a_read_only_volume_is_refused(
    docker: Docker, host_dir: Path, tmp_path: Path
) -> None:
    vol = volume(docker)
    host = mountpoint(docker, vol)
    (host / "kept").write_text("ro\n")
    cid = start(docker, "-v", f"{vol}:/ro:ro", "-v", f"{host_dir}:/rob:ro")
    (tmp_path / "x").write_text("x")
    for dest in ("/ro/", "/rob/"):
        refused = docker("cp", str(tmp_path / "x"), f"{cid}:{dest}", check=False)
        assert refused.returncode == 1
        assert "mounted volume is marked read-only" in refused.stderr, refused.stderr
    assert not (host / "x").exists() and not (host_dir / "x").exists()
    assert cp_out(docker, f"{cid}:/ro/kept") == {"kept": b"ro\n"}  # reading is fine
    docker("stop", "-t", "0", cid)
    refused = docker("cp", str(tmp_path / "x"), f"{cid}:/ro/", check=False)
    assert "mounted volume is marked read-only" in refused.stderr, refused.stderr


def test_a_nested_read_only_volume_stays_read_only_under_a_writable_one(
    docker: Docker, tmp_path: Path
) -> None:
    outer, inner = volume(docker), volume(docker)
    cid = start(docker, "-v", f"{outer}:/w", "-v", f"{inner}:/w/ro:ro")
    tree = tmp_path / "tree"
    (tree / "ro").mkdir(parents=True)
    (tree / "ro" / "sneaky").write_text("x")
    refused = docker("cp", f"{tree}/.", f"{cid}:/w", check=False)
    assert refused.returncode == 1
    assert "read-only file system" in refused.stderr, refused.stderr
    assert not (mountpoint(docker, inner) / "sneaky").exists()


def test_cp_at_a_tmpfs_path_sees_the_rootfs_as_docker_does(docker: Docker) -> None:
    cid = start(docker, "--tmpfs", "/t")
    docker("exec", cid, "sh", "-c", "echo mem > /t/f")
    missing = docker("cp", f"{cid}:/t/f", "-", check=False)
    assert missing.returncode == 1
    assert "Could not find the file /t/f in container " in missing.stderr, missing.stderr


def test_concurrent_cps_of_one_stopped_container(
    docker: Docker, engine: Engine, tmp_path: Path
) -> None:
    vol = volume(docker)
    (mountpoint(docker, vol) / "f").write_text("shared\n")
    cid = docker("create", "--label", LABEL, "-v", f"{vol}:/v", IMAGE, "true").stdout.strip()
    mounts = daemon_mounts(engine)
    results: list[subprocess.CompletedProcess[str]] = []

    def one(i: int) -> None:
        results.append(docker("cp", f"{cid}:/v/f", str(tmp_path / f"f{i}"), check=False))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    assert {(tmp_path / f"f{i}").read_text() for i in range(6)} == {"shared\n"}
    assert wait_for(lambda: daemon_mounts(engine) == mounts)
    assert wait_for(lambda: view_threads(engine) == 0)


def test_a_client_gone_mid_stream_leaves_nothing_mounted(docker: Docker, engine: Engine) -> None:
    vol = volume(docker)
    data = mountpoint(docker, vol)
    for i in range(200):
        (data / f"big{i}").write_bytes(secrets.token_bytes(64 * 1024))
    cid = docker("create", "--label", LABEL, "-v", f"{vol}:/v", IMAGE, "true").stdout.strip()
    mounts = daemon_mounts(engine)
    proc = subprocess.Popen(
        [docker.cli, "cp", f"{cid}:/v", "-"], env=docker.env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.read(4096)
    assert engine.daemon is None or view_threads(engine) == 1  # open while the client reads
    proc.kill()
    proc.wait()
    proc.stdout.close()
    assert wait_for(lambda: daemon_mounts(engine) == mounts)
    assert wait_for(lambda: view_threads(engine) == 0)
    docker("rm", cid)
    docker("volume", "rm", vol)  # nothing holds it any more


def test_export_leaves_the_volume_out(docker: Docker) -> None:
    vol = volume(docker)
    cid = start(docker, "-v", f"{vol}:/data")
    docker("exec", cid, "sh", "-c", "echo v > /data/in-volume; echo r > /in-rootfs")
    for _ in range(2):  # running, then stopped
        proc = subprocess.run(
            [docker.cli, "export", cid], env=docker.env, capture_output=True, timeout=60
        )
        assert proc.returncode == 0
        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
            names = set(tar.getnames())
        assert "in-rootfs" in names and "data" in names
        assert "data/in-volume" not in names
        docker("stop", "-t", "0", cid)
    doc = json.loads(docker("inspect", cid).stdout)[0]
    assert doc["Mounts"][0]["Name"] == vol
