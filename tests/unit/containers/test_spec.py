"""generate_spec / exec_process: the OCI config dockerd would write for runc."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers import security
from dockyard.containers.container import Container
from dockyard.containers.createconfig import parse_create
from dockyard.containers.deps import Defaults
from dockyard.containers.spec import exec_process, generate_spec

CID = "f" * 64


@pytest.fixture
def rootfs(tmp_path: Path) -> str:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1000:\nextra:x:2000:app\n")
    return str(root)


def make(tmp_path: Path, body: dict[str, Any]) -> Container:
    req = parse_create({"Cmd": ["sh"], **body}, image=None, api_version="1.51", container_id=CID)
    return Container(
        id=CID, name="c", created="", image_id="", config=req.config, host_config=req.host_config,
        data_dir=str(tmp_path / "data"), exec_dir=str(tmp_path / "exec"),
    )  # fmt: skip


def spec_of(tmp_path: Path, rootfs: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("defaults", Defaults())
    kw.setdefault("netns_path", None)
    kw.setdefault("init", False)
    spec = generate_spec(make(tmp_path, body), rootfs=rootfs, **kw)
    json.dumps(spec)  # must be plain JSON
    return spec


def by_dest(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["destination"]: m for m in spec["mounts"]}


def test_default_spec(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(tmp_path, rootfs, {"Env": ["A=1"], "WorkingDir": "/w"})
    p = spec["process"]
    assert p["args"] == ["sh"] and p["cwd"] == "/w"
    assert p["env"] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        f"HOSTNAME={CID[:12]}",
        "A=1",
    ]
    assert p["capabilities"]["bounding"] == list(security.DEFAULT_CAPS)
    assert "inheritable" not in p["capabilities"] and p["noNewPrivileges"] is False
    assert p["user"] == {"uid": 0, "gid": 0, "additionalGids": [0]}
    assert spec["root"] == {"path": rootfs, "readonly": False} and spec["hostname"] == CID[:12]
    mounts = by_dest(spec)
    assert mounts["/dev/shm"]["options"][-1] == "size=67108864"
    assert "ro" in mounts["/sys"]["options"] and "ro" in mounts["/sys/fs/cgroup"]["options"]
    assert mounts["/etc/hosts"]["source"] == str(tmp_path / "data" / "hosts")
    linux = spec["linux"]
    assert linux["cgroupsPath"] == f"/dockyard/{CID}"
    assert [n["type"] for n in linux["namespaces"]][:5] == ["mount", "network", "uts", "pid", "ipc"]
    assert linux["resources"]["devices"][0] == {"allow": False, "access": "rwm"}
    assert linux["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert "/proc/kcore" in linux["maskedPaths"] and "/proc/sys" in linux["readonlyPaths"]


def test_tty_user_and_init(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(
        tmp_path, rootfs,
        {"Tty": True, "User": "app",
         "HostConfig": {"GroupAdd": ["2000"], "ConsoleSize": [30, 100]}},
        init=True, defaults=Defaults(init_path="/opt/tini"),
    )  # fmt: skip
    p = spec["process"]
    assert "TERM=xterm" in p["env"] and p["terminal"] is True
    assert p["consoleSize"] == {"height": 30, "width": 100}
    assert p["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [1000, 2000, 2000]}
    assert p["args"] == ["/sbin/docker-init", "--", "sh"]
    assert by_dest(spec)["/sbin/docker-init"] == {
        "destination": "/sbin/docker-init", "type": "bind", "source": "/opt/tini",
        "options": ["bind", "ro"],
    }  # fmt: skip


def test_unknown_user_fails_like_docker(tmp_path: Path, rootfs: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="unable to find user xyz"):
        spec_of(tmp_path, rootfs, {"User": "xyz"})


def test_privileged(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(tmp_path, rootfs, {"HostConfig": {"Privileged": True}})
    assert spec["process"]["capabilities"]["bounding"] == security.all_caps()
    assert "ro" not in by_dest(spec)["/sys"]["options"]
    assert "ro" not in by_dest(spec)["/sys/fs/cgroup"]["options"]
    linux = spec["linux"]
    assert "maskedPaths" not in linux and "readonlyPaths" not in linux and "seccomp" not in linux
    assert linux["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    assert any(d["path"] == "/dev/null" for d in linux["devices"])


def test_resources_and_rlimits(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(
        tmp_path, rootfs,
        {"HostConfig": {"Memory": 64 << 20, "NanoCpus": 1_500_000_000, "PidsLimit": 50,
                        "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}]}},
        defaults=Defaults(default_ulimits={"nproc": {"Soft": 10, "Hard": 20},
                                           "nofile": {"Soft": 1, "Hard": 1}}),
    )  # fmt: skip
    res = spec["linux"]["resources"]
    assert res["memory"]["limit"] == 64 << 20
    assert res["cpu"] == {"period": 100000, "quota": 150000}
    assert res["pids"] == {"limit": 50}
    assert spec["process"]["rlimits"] == [
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 2048},
        {"type": "RLIMIT_NPROC", "soft": 10, "hard": 20},
    ]


def test_security_options(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(
        tmp_path,
        rootfs,
        {"HostConfig": {"SecurityOpt": ["no-new-privileges", "seccomp=unconfined"]}},
    )
    assert spec["process"]["noNewPrivileges"] is True and "seccomp" not in spec["linux"]
    profile = json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []})
    spec = spec_of(tmp_path, rootfs, {"HostConfig": {"SecurityOpt": [f"seccomp={profile}"]}})
    assert spec["linux"]["seccomp"] == {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}


def test_cap_drop_all_and_readonly_rootfs(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(tmp_path, rootfs, {"HostConfig": {"CapDrop": ["ALL"], "ReadonlyRootfs": True}})
    assert spec["process"]["capabilities"]["bounding"] == []
    assert spec["root"]["readonly"] is True
    mounts = by_dest(spec)
    assert "ro" in mounts["/etc/hosts"]["options"] and "ro" not in mounts["/dev/shm"]["options"]


def test_namespaces_follow_modes(tmp_path: Path, rootfs: str) -> None:
    spec = spec_of(
        tmp_path, rootfs, {"HostConfig": {"NetworkMode": "host", "PidMode": "host"}}, init=True
    )
    kinds = [n["type"] for n in spec["linux"]["namespaces"]]
    assert "network" not in kinds and "pid" not in kinds
    assert spec["process"]["args"] == ["sh"]  # no init outside a private pid namespace
    assert "net.ipv4.ping_group_range" not in spec["linux"]["sysctl"]
    spec = spec_of(tmp_path, rootfs, {"HostConfig": {"IpcMode": "none"}}, netns_path="/run/netns/x")
    assert {"type": "network", "path": "/run/netns/x"} in spec["linux"]["namespaces"]
    assert "/dev/shm" not in by_dest(spec)


def test_user_mounts_sorted_after_defaults(tmp_path: Path, rootfs: str) -> None:
    src = tmp_path / "src"
    spec = spec_of(
        tmp_path,
        rootfs,
        {"HostConfig": {"Binds": [f"{src}:/a/b/c:ro", f"{src}:/a"], "Tmpfs": {"/dev": ""}}},
    )
    dests = [m["destination"] for m in spec["mounts"]]
    assert "/dev/pts" not in dests and "/dev/shm" not in dests  # a user /dev replaces them
    assert dests.index("/a") < dests.index("/a/b/c") and src.is_dir()  # -v creates the source


def test_exec_process(tmp_path: Path, rootfs: str) -> None:
    c = make(
        tmp_path,
        {
            "User": "app",
            "Env": ["A=1"],
            "WorkingDir": "/w",
            "HostConfig": {"SecurityOpt": ["no-new-privileges"]},
        },
    )
    p = exec_process(c, cmd=["id"], env=["A=2", "B=3"], user="", working_dir="", tty=True,
                     privileged=False, rootfs=rootfs, console_size=(24, 80))  # fmt: skip
    assert p["args"] == ["id"] and p["cwd"] == "/w" and p["user"]["uid"] == 1000
    assert p["env"][-2:] == ["A=2", "B=3"] and "TERM=xterm" in p["env"]
    assert p["noNewPrivileges"] is True and p["consoleSize"] == {"height": 24, "width": 80}
    root = exec_process(c, cmd=["sh"], env=[], user="0", working_dir="/tmp", tty=False,
                        privileged=True, rootfs=rootfs, console_size=None)  # fmt: skip
    assert root["user"]["uid"] == 0 and root["cwd"] == "/tmp"
    assert root["capabilities"]["bounding"] == security.all_caps()
