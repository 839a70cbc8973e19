"""Volumes through the real docker CLI against dockyardd (issue 7): the seed's chapter 13
walkthrough, copy-up, nocopy, ro, tmpfs, propagation, image VOLUMEs, --volumes-from, two
writers, kill -9 of the daemon, and a volume plugin round trip."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.conftest import Engine, PrivateDaemon, wait_for
from tests.support.dockerd import Docker
from tests.support.dockyardd import docker_clis
from tests.unit.volumes.plugin_server import TestPlugin

pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(240, method="signal")]

IMAGE = "busybox:latest"
LABEL = "dockyard.test=compat-volumes"


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


def uid(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def data_root(engine: Engine) -> Path:
    assert engine.daemon is not None, "these tests read dockyardd's data-root"
    return engine.daemon.data_root


def run(docker: Docker, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return docker("run", "--label", LABEL, *args, check=check)


def volumes(docker: Docker) -> set[str]:
    return set(docker("volume", "ls", "-q").stdout.split())


def test_chapter13_walkthrough(docker: Docker, engine: Engine) -> None:
    voltainer, bizvol, name = uid("voltainer"), uid("bizvol"), uid("c")
    assert docker("volume", "create", voltainer).stdout.strip() == voltainer
    assert voltainer in volumes(docker)
    mountpoint = data_root(engine) / "volumes" / bizvol / "_data"
    run(docker, "-d", "--name", name, "-v", f"{bizvol}:/data", IMAGE,
        "sh", "-c", "echo business > /data/file; sleep 300")  # fmt: skip
    assert wait_for(lambda: (mountpoint / "file").exists())
    doc = json.loads(docker("volume", "inspect", bizvol).stdout)[0]
    assert (doc["Name"], doc["Driver"], doc["Mountpoint"], doc["Scope"]) == (
        bizvol, "local", str(mountpoint), "local",
    )  # fmt: skip
    refused = docker("volume", "rm", bizvol, check=False)
    assert refused.returncode == 1
    assert f"remove {bizvol}: volume is in use - [" in refused.stderr
    mounts = json.loads(docker("inspect", "--format", "{{json .Mounts}}", name).stdout)
    assert mounts == [{"Type": "volume", "Name": bizvol, "Source": str(mountpoint),
                       "Destination": "/data", "Driver": "local", "Mode": "z", "RW": True,
                       "Propagation": ""}]  # fmt: skip
    docker("rm", "-f", name)
    assert (mountpoint / "file").read_text() == "business\n"  # the volume outlived it
    out = run(docker, "--rm", "-v", f"{bizvol}:/again", IMAGE, "cat", "/again/file").stdout
    assert out == "business\n"
    pruned = docker("volume", "prune", "-a", "-f", "--filter", f"label!=keep{uid('')}")
    assert voltainer in pruned.stdout and bizvol in pruned.stdout
    assert not volumes(docker) & {voltainer, bizvol}
    assert not mountpoint.exists()


def test_copy_up_keeps_modes_and_owners_and_nocopy_does_not_copy(docker: Docker) -> None:
    src, image, filled, empty = uid("src"), uid("img"), uid("filled"), uid("empty")
    run(docker, "--name", src, IMAGE, "sh", "-c",
        "mkdir -p /seed/sub && echo seeded > /seed/sub/f && chown -R 1234:5678 /seed "
        "&& chmod 1770 /seed && chmod 604 /seed/sub/f")  # fmt: skip
    docker("commit", src, image)
    try:
        listing = run(docker, "--rm", "-v", f"{filled}:/seed", image, "sh", "-c",
                      "stat -c '%a %u:%g' /seed /seed/sub/f; cat /seed/sub/f").stdout  # fmt: skip
        assert listing.split("\n")[:3] == ["1770 1234:5678", "604 1234:5678", "seeded"]
        nocopy = run(docker, "--rm", "-v", f"{empty}:/seed:nocopy", image, "ls", "-A", "/seed")
        assert nocopy.stdout == ""
        # not empty any more: a second container's image content is not copied again
        run(docker, "--rm", "-v", f"{filled}:/seed", image, "rm", "/seed/sub/f")
        again = run(docker, "--rm", "-v", f"{filled}:/seed", image, "ls", "/seed/sub").stdout
        assert again == ""
    finally:
        docker("rm", "-f", src, check=False)
        docker("rmi", "-f", image, check=False)
        docker("volume", "rm", filled, empty, check=False)


def test_read_only_volume_refuses_writes(docker: Docker) -> None:
    vol = uid("ro")
    proc = run(docker, "--rm", "--mount", f"type=volume,source={vol},target=/d,readonly",
               IMAGE, "touch", "/d/x", check=False)  # fmt: skip
    assert proc.returncode == 1 and "Read-only file system" in proc.stderr
    docker("volume", "rm", vol)


def test_tmpfs_mount_with_size(docker: Docker) -> None:
    line = run(docker, "--rm", "--mount", "type=tmpfs,destination=/scratch,tmpfs-size=2m",
               IMAGE, "grep", " /scratch ", "/proc/self/mountinfo").stdout  # fmt: skip
    assert " - tmpfs tmpfs " in line and "size=2048k" in line


def test_local_driver_tmpfs_option_mounts_while_used(docker: Docker, engine: Engine) -> None:
    vol, name = uid("tmpvol"), uid("c")
    docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=3m", vol)
    data = data_root(engine) / "volumes" / vol / "_data"
    assert not os.path.ismount(data)
    run(docker, "-d", "--name", name, "-v", f"{vol}:/d", IMAGE, "sh", "-c",
        "echo x > /d/f; sleep 300")  # fmt: skip
    assert wait_for(lambda: (data / "f").exists())
    assert os.path.ismount(data)
    inside = docker("exec", name, "grep", " /d ", "/proc/self/mountinfo").stdout
    assert " - tmpfs tmpfs " in inside and "size=3072k" in inside
    options = json.loads(docker("volume", "inspect", vol).stdout)[0]["Options"]
    assert options == {"device": "tmpfs", "o": "size=3m", "type": "tmpfs"}
    docker("stop", "-t", "0", name)
    assert not os.path.ismount(data)  # the last user went away
    docker("rm", name)
    docker("volume", "rm", vol)


def test_bind_propagation_seen_inside(docker: Docker) -> None:
    shared = Path(tempfile.mkdtemp(prefix="dyprop"))
    name = uid("c")
    sub = shared / "sub"
    sub.mkdir()
    subprocess.run(["mount", "--bind", shared, shared], check=True)
    try:
        subprocess.run(["mount", "--make-shared", shared], check=True)
        run(docker, "-d", "--name", name,
            "--mount", f"type=bind,source={shared},target=/p,bind-propagation=rshared",
            "--mount", f"type=bind,source={shared},target=/q", IMAGE, "sleep", "300")  # fmt: skip
        info = docker("exec", name, "cat", "/proc/self/mountinfo").stdout
        p_line = next(line for line in info.splitlines() if line.split()[4] == "/p")
        q_line = next(line for line in info.splitlines() if line.split()[4] == "/q")
        assert "shared:" in p_line and "shared:" not in q_line  # rshared vs rprivate
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", sub], check=True)
        try:
            assert wait_for(
                lambda: " /p/sub " in docker("exec", name, "cat", "/proc/self/mountinfo").stdout
            )
            later = docker("exec", name, "cat", "/proc/self/mountinfo").stdout
            assert " /q/sub " not in later  # the private one did not receive it
        finally:
            docker("rm", "-f", name, check=False)
            subprocess.run(["umount", sub], check=False)
    finally:
        docker("rm", "-f", name, check=False)
        subprocess.run(["umount", "-l", shared], check=False)
        sub.rmdir()
        shared.rmdir()


def test_image_volume_is_anonymous_and_rm_v_removes_it(docker: Docker) -> None:
    src, image, kept, gone = uid("src"), uid("img"), uid("kept"), uid("gone")
    run(docker, "--name", src, IMAGE, "sh", "-c", "mkdir /data && echo base > /data/f")
    docker("commit", "--change", "VOLUME /data", src, image)
    try:
        run(docker, "--name", gone, image, "cat", "/data/f")
        mounts = json.loads(docker("inspect", "--format", "{{json .Mounts}}", gone).stdout)
        (m,) = mounts
        assert (m["Type"], m["Destination"], m["Mode"], m["RW"]) == ("volume", "/data", "", True)
        assert len(m["Name"]) == 64
        labels = json.loads(docker("volume", "inspect", m["Name"]).stdout)[0]["Labels"]
        assert labels == {"com.docker.volume.anonymous": ""}
        assert docker("logs", gone).stdout == "base\n"  # copied up from the image
        run(docker, "--name", kept, "-v", "/keep", image, "true")
        kept_name = next(
            x["Name"]
            for x in json.loads(docker("inspect", "-f", "{{json .Mounts}}", kept).stdout)
            if x["Destination"] == "/keep"
        )
        docker("rm", "-v", gone)
        assert m["Name"] not in volumes(docker)
        docker("rm", kept)  # without -v the anonymous volumes stay (dangling)
        dangling = docker("volume", "ls", "-q", "--filter", "dangling=true").stdout.split()
        assert kept_name in dangling
        docker("volume", "prune", "-f")  # anonymous ones go without -a
        assert kept_name not in volumes(docker)
    finally:
        docker("rm", "-f", "-v", src, gone, kept, check=False)
        docker("rmi", "-f", image, check=False)


def test_volumes_from_and_two_writers(docker: Docker) -> None:
    vol, data, a, b, reader = uid("shared"), uid("data"), uid("a"), uid("b"), uid("r")
    run(docker, "--name", data, "-v", f"{vol}:/shared", IMAGE, "true")
    loop = "for i in $(seq 1 200); do echo {who}-$i >> /shared/log; done"
    run(docker, "-d", "--name", a, "--volumes-from", data, IMAGE, "sh", "-c",
        loop.format(who="a"))  # fmt: skip
    run(docker, "-d", "--name", b, "--volumes-from", data, IMAGE, "sh", "-c",
        loop.format(who="b"))  # fmt: skip
    for c in (a, b):
        assert docker("wait", c).stdout.strip() == "0"
    lines = run(docker, "--rm", "--name", reader, "--volumes-from", f"{data}:ro", IMAGE,
                "sh", "-c", "cat /shared/log; touch /shared/x", check=False).stderr  # fmt: skip
    assert "Read-only file system" in lines
    log = run(docker, "--rm", "-v", f"{vol}:/v", IMAGE, "cat", "/v/log").stdout.split()
    assert sorted(log) == sorted([f"a-{i}" for i in range(1, 201)] +
                                 [f"b-{i}" for i in range(1, 201)])  # fmt: skip
    docker("rm", "-f", a, b, data)
    docker("volume", "rm", vol)


def test_invalid_specs_are_refused_and_leave_nothing(docker: Docker) -> None:
    before = volumes(docker)
    for args, message in (
        (["-v", "newvol1:/x:shared"], 'invalid mount config for type "volume": field BindOptions'),
        (["-v", "/tmp:/x:nocopy"], 'invalid mount config for type "bind": field VolumeOptions'),
        (["-v", "okvol1:/a", "-v", "okvol2:/a"], "Duplicate mount point: /a"),
    ):  # fmt: skip
        proc = docker("create", "--label", LABEL, *args, IMAGE, check=False)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr  # create: 1
    # (a container create naming an unknown driver is a 404 too, which makes the CLI try a
    # pull first, as it does against dockerd: shown with `volume create` instead)
    proc = docker("volume", "create", "-d", "nosuch", "newvol2", check=False)
    assert proc.returncode == 1
    assert 'create newvol2: error looking up volume plugin nosuch: plugin "nosuch" not found' in (
        proc.stderr
    )
    assert volumes(docker) == before  # nothing half-created


def test_volume_survives_daemon_kill9(private_daemon: PrivateDaemon) -> None:
    with private_daemon() as d:
        docker = d.docker(_cli())
        docker("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "tvol")
        docker("run", "-d", "--name", "keeper", "-v", "kvol:/k", "-v", "tvol:/t", IMAGE,
               "sh", "-c", "echo before > /k/f; echo t > /t/f; sleep 300")  # fmt: skip
        assert wait_for(lambda: (d.data_root / "volumes" / "kvol" / "_data" / "f").exists())
        d.restart(kill9=True)
        assert docker("inspect", "-f", "{{.State.Running}}", "keeper").stdout.strip() == "true"
        assert docker("exec", "keeper", "cat", "/k/f", "/t/f").stdout == "before\nt\n"
        refused = docker("volume", "rm", "kvol", check=False)
        assert refused.returncode == 1 and "volume is in use" in refused.stderr
        tmp_data = d.data_root / "volumes" / "tvol" / "_data"
        assert os.path.ismount(tmp_data)
        docker("stop", "-t", "0", "keeper")
        assert not os.path.ismount(tmp_data)  # the restarted daemon knew its last user
        docker("rm", "keeper")
        assert (d.data_root / "volumes" / "kvol" / "_data" / "f").read_text() == "before\n"
        docker("volume", "rm", "kvol", "tvol")


def test_plugin_round_trip(private_daemon: PrivateDaemon, tmp_path: Path) -> None:
    sockets = Path(tempfile.mkdtemp(prefix="dyplug"))
    try:
        with (
            TestPlugin(sockets / "testplugin.sock", tmp_path / "plugdata") as plugin,
            private_daemon() as d,
        ):
            d.stop()
            d.env["DOCKYARD_PLUGINS_DIRS"] = str(sockets)
            d.start()
            docker = d.docker(_cli())
            docker("volume", "create", "-d", "testplugin", "-o", "speed=fast", "pvol")
            doc = json.loads(docker("volume", "inspect", "pvol").stdout)[0]
            assert (doc["Driver"], doc["Mountpoint"]) == (
                    "testplugin", str(tmp_path / "plugdata" / "pvol"),
                )  # fmt: skip
            out = docker("run", "--rm", "-v", "pvol:/p", IMAGE, "sh", "-c",
                             "echo via-plugin > /p/f; cat /p/f").stdout  # fmt: skip
            assert out == "via-plugin\n"
            assert (tmp_path / "plugdata" / "pvol" / "f").read_text() == "via-plugin\n"
            assert "testplugin" in docker("info", "--format", "{{json .Plugins.Volume}}").stdout
            docker("volume", "rm", "pvol")
            assert not (tmp_path / "plugdata" / "pvol").exists()
            methods = plugin.methods()
            for method in ("Plugin.Activate", "VolumeDriver.Create", "VolumeDriver.Mount",
                               "VolumeDriver.Unmount", "VolumeDriver.Remove"):  # fmt: skip
                assert method in methods, methods
            assert plugin.mounted.get("pvol", set()) == set()
    finally:
        for entry in sockets.iterdir():
            entry.unlink()
        sockets.rmdir()
