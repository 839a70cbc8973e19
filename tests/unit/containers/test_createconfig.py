"""parse_create / validate_update: Docker's validation messages and inspect's full shape."""

from __future__ import annotations

import os
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers import createconfig
from dockyard.containers.createconfig import parse_create, validate_update
from dockyard.containers.deps import Defaults
from dockyard.images.image import HealthConfig, Image, ImageConfig

CID = "0123456789ab" + "c" * 52
IMAGE = Image(
    id="sha256:" + "1" * 64,
    raw=b"{}",
    diff_ids=(),
    config=ImageConfig(
        env=("PATH=/usr/bin:/bin", "LANG=C"),
        cmd=("sh",),
        working_dir="/srv",
        labels={"from": "image"},
        exposed_ports=("80/tcp",),
        volumes=("/data",),
        healthcheck=HealthConfig(test=("CMD", "true"), interval=30_000_000_000),
    ),
)


def create(body: dict[str, Any], **kw: Any) -> createconfig.CreateRequest:
    kw.setdefault("image", IMAGE)
    kw.setdefault("api_version", "1.51")
    return parse_create(body, container_id=CID, **kw)


def test_full_shape_and_defaults() -> None:
    req = create({"Image": "busybox"})
    hc, cfg = req.host_config, req.config
    assert list(hc)[:4] == ["Binds", "ContainerIDFile", "LogConfig", "NetworkMode"]
    assert hc["LogConfig"] == {"Type": "json-file", "Config": {}}
    assert hc["NetworkMode"] == "bridge"
    assert hc["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert hc["ShmSize"] == 67108864 and hc["IpcMode"] == "private"
    assert hc["CgroupnsMode"] == ("private" if createconfig.cgroup_v2() else "host")
    assert hc["OomKillDisable"] is False and hc["PidsLimit"] is None
    assert hc["MaskedPaths"][0] == "/proc/asound" and "/proc/sys" in hc["ReadonlyPaths"]
    assert "KernelMemory" not in hc and "Runtime" not in hc
    assert cfg["Hostname"] == CID[:12]
    assert cfg["Cmd"] == ["sh"] and cfg["Entrypoint"] is None and cfg["WorkingDir"] == "/srv"
    assert cfg["Labels"] == {"from": "image"} and cfg["ExposedPorts"] == {"80/tcp": {}}
    assert cfg["Volumes"] == {"/data": {}}
    assert cfg["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 30_000_000_000}
    assert "StopSignal" not in cfg and "StopTimeout" not in cfg


def test_env_merge_body_wins_and_entrypoint_drops_image_cmd() -> None:
    req = create({"Env": ["LANG=fr", "X=1"], "Entrypoint": ["/bin/echo"]})
    assert req.config["Env"] == ["LANG=fr", "X=1", "PATH=/usr/bin:/bin"]
    assert req.config["Cmd"] is None and req.config["Entrypoint"] == ["/bin/echo"]


def test_keys_match_without_case_and_strings_become_lists() -> None:
    req = create({"cmd": "ls", "hostconfig": {"memory": 8 << 20}})
    assert req.config["Cmd"] == ["ls"] and req.host_config["Memory"] == 8 << 20


def test_log_config_takes_daemon_defaults() -> None:
    defaults = Defaults(log_driver="local", log_opts={"max-size": "5m"})
    req = create({}, defaults=defaults)
    assert req.host_config["LogConfig"] == {"Type": "local", "Config": {"max-size": "5m"}}
    with pytest.raises(errdefs.InvalidArgument, match="no log driver named 'nope'"):
        create({"HostConfig": {"LogConfig": {"Type": "nope"}}})


@pytest.mark.parametrize(
    ("hc", "message"),
    [
        (
            {"RestartPolicy": {"Name": "sometimes"}},
            "invalid restart policy: unknown policy 'sometimes'",
        ),
        (
            {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}},
            "maximum retry count can only",
        ),
        (
            {"AutoRemove": True, "RestartPolicy": {"Name": "always"}},
            "can't create 'AutoRemove' container with restart policy",
        ),
        ({"Memory": 1024}, "Minimum memory limit allowed is 6MB"),
        ({"PortBindings": {"99999/tcp": []}}, 'invalid port specification: "99999/tcp"'),
        ({"PortBindings": {"80/tcp": [{"HostPort": "x"}]}}, 'invalid port specification: "x"'),
        (
            {"NanoCpus": 1, "CpuPeriod": 100000},
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ),
        ({"NanoCpus": (os.cpu_count() or 1) * 10**9 + 1}, "range of CPUs is from 0.01 to"),
        ({"CpuShares": -1}, "invalid CPU shares"),
        ({"ShmSize": -1}, "SHM size can not be less than 0"),
        ({"OomScoreAdj": 1001}, "range for oom score adj is"),
        ({"CapAdd": ["NOPE"]}, 'invalid CapAdd: unknown capability: "CAP_NOPE"'),
        ({"Mounts": [{"Type": "bind", "Target": "/x"}]}, "field Source must not be empty"),
        ({"Binds": ["vol:/data:rshared"]}, "field BindOptions must not be specified"),
        ({"ExtraHosts": ["bad"]}, "bad format for add-host"),
        ({"SecurityOpt": ["bogus"]}, "invalid --security-opt 1"),
        ({"IpcMode": "weird"}, "invalid IPC mode: weird"),
        (
            {"Memory": "lots"},
            "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.Memory",
        ),
    ],
)
def test_invalid_host_config(hc: dict[str, Any], message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as err:
        create({"HostConfig": hc})
    assert message in str(err.value)


def test_invalid_config() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="the working directory 'rel' is invalid"):
        create({"WorkingDir": "rel"})
    with pytest.raises(errdefs.InvalidArgument, match="Invalid signal: SIGNOPE"):
        create({"StopSignal": "SIGNOPE"})
    with pytest.raises(errdefs.InvalidArgument, match="no command specified"):
        create({}, image=None)
    with pytest.raises(
        errdefs.InvalidArgument, match="conflicting options: hostname and the UTS mode"
    ):
        create({"Hostname": "h", "HostConfig": {"UTSMode": "host"}})


def test_container_network_mode_refuses_mac_addresses_in_both_places() -> None:
    assert create({"HostConfig": {"NetworkMode": "container:other"}}).host_config
    with pytest.raises(errdefs.InvalidArgument, match="mac-address and the network mode"):
        create({"MacAddress": "02:42:ac:11:00:09", "HostConfig": {"NetworkMode": "container:o"}})
    body = {
        "HostConfig": {"NetworkMode": "container:o"},
        "NetworkingConfig": {
            "EndpointsConfig": {"container:o": {"MacAddress": "02:42:00:00:00:09"}}
        },
    }
    with pytest.raises(errdefs.InvalidArgument, match="mac-address and the network mode"):
        create(body)


def test_memory_swap_and_pids_normalisation() -> None:
    hc = create({"HostConfig": {"Memory": 64 << 20, "PidsLimit": 0}}).host_config
    assert hc["MemorySwap"] in (128 << 20, -1)  # -1 where the kernel has no swap accounting
    assert hc["PidsLimit"] is None


def test_api_version_adjustments() -> None:
    old = create({"HostConfig": {"AutoRemove": True, "ConsoleSize": [10, 20]}}, api_version="1.24")
    assert old.host_config["AutoRemove"] is False and old.host_config["ConsoleSize"] == [0, 0]
    assert create({}, api_version="1.39").host_config["IpcMode"] == "shareable"


def test_validate_update() -> None:
    assert validate_update({"Memory": 32 << 20, "PidsLimit": 0}) == {
        "Memory": 32 << 20,
        "PidsLimit": -1,
    }
    assert validate_update({"RestartPolicy": {"Name": "always"}}) == {
        "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0}
    }
    with pytest.raises(errdefs.InvalidArgument, match="invalid restart policy"):
        validate_update({"RestartPolicy": {"Name": "bad"}})
    with pytest.raises(errdefs.InvalidArgument, match="Minimum memory limit allowed is 6MB"):
        validate_update({"Memory": 1})
