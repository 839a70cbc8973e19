"""System: /version, /info, /system/df documents with the JSON types Docker's Go structs need."""

from __future__ import annotations

import asyncio
import builtins
import io
from pathlib import Path
from typing import Any

import pytest

from dockyard.containers.deps import RuntimeInfo
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.events import EventBus
from dockyard.daemon.system import System, login_domain, registry_config
from dockyard.distribution.client import RegistryClient
from dockyard.images.delete import ImageUser
from dockyard.images.service import ImageService
from tests.unit.images.conftest import make_service, tar_of


class FakeContainers:
    """The two ContainerService reads System makes (system.Containers)."""

    def __init__(self, states: builtins.list[str]) -> None:
        self.states = states

    def list(self, *, all: bool = False, size: bool = False) -> builtins.list[dict[str, Any]]:
        return [{"Id": f"c{i}", "State": s} for i, s in enumerate(self.states)]

    def image_users(self, image_id: str) -> builtins.list[ImageUser]:
        return []


# system.Info fields and the JSON type the Go struct needs (moby api/types/system/info.go).
INFO_TYPES: dict[str, type | tuple[type, ...]] = {
    "ID": str,
    "Containers": int,
    "ContainersRunning": int,
    "ContainersPaused": int,
    "ContainersStopped": int,
    "Images": int,
    "Driver": str,
    "DriverStatus": list,
    "Plugins": dict,
    "MemoryLimit": bool,
    "SwapLimit": bool,
    "CpuCfsPeriod": bool,
    "CpuCfsQuota": bool,
    "CPUShares": bool,
    "CPUSet": bool,
    "PidsLimit": bool,
    "IPv4Forwarding": bool,
    "Debug": bool,
    "NFd": int,
    "OomKillDisable": bool,
    "NGoroutines": int,
    "SystemTime": str,
    "LoggingDriver": str,
    "CgroupDriver": str,
    "CgroupVersion": str,
    "NEventsListener": int,
    "KernelVersion": str,
    "OperatingSystem": str,
    "OSVersion": str,
    "OSType": str,
    "Architecture": str,
    "IndexServerAddress": str,
    "RegistryConfig": dict,
    "NCPU": int,
    "MemTotal": int,
    "DockerRootDir": str,
    "HttpProxy": str,
    "HttpsProxy": str,
    "NoProxy": str,
    "Name": str,
    "Labels": list,
    "ExperimentalBuild": bool,
    "ServerVersion": str,
    "Runtimes": dict,
    "DefaultRuntime": str,
    "Swarm": dict,
    "LiveRestoreEnabled": bool,
    "Isolation": str,
    "InitBinary": str,
    "ContainerdCommit": dict,
    "RuncCommit": dict,
    "InitCommit": dict,
    "SecurityOptions": list,
    "CDISpecDirs": list,
    "Warnings": list,
}


def make_system(
    tmp_path: Path, *, states: builtins.list[str] | None = None, **settings: Any
) -> tuple[System, ImageService, EventBus]:
    images = make_service(tmp_path / "daemon")
    events = EventBus()
    config = DaemonConfig(data_root=str(tmp_path / "daemon"), **settings)
    system = System(
        daemon_id="0d1c2b3a-aaaa-bbbb-cccc-000000000000",
        config=lambda: config,
        containers=FakeContainers(states or []),
        images=images,
        events=events,
        registry=RegistryClient(),
        runtimes={
            "dockyard": RuntimeInfo(path="/usr/bin/dockyard-runtime"),
            "crun": RuntimeInfo(path="/c", args=("--x",)),
        },
    )
    return system, images, events


def test_info_has_every_field_with_dockers_json_type(tmp_path: Path) -> None:
    system, images, _ = make_system(
        tmp_path, states=["running", "exited", "paused", "created"], labels=("a=b",)
    )
    images.import_image(io.BytesIO(tar_of({"f": b"x"})), repo_tag="one:latest")
    info = system.info()
    for key, kind in INFO_TYPES.items():
        assert key in info, key
        assert isinstance(info[key], kind), (key, info[key])
        if kind is int:
            assert not isinstance(info[key], bool), key
    assert (info["Containers"], info["ContainersRunning"], info["ContainersPaused"]) == (4, 1, 1)
    assert info["ContainersStopped"] == 2
    assert info["Images"] == 1
    assert info["Driver"] == "overlay2"
    assert all(
        len(row) == 2 and all(isinstance(c, str) for c in row) for row in info["DriverStatus"]
    )
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    assert info["LiveRestoreEnabled"] is True
    assert info["Labels"] == ["a=b"]
    assert info["Runtimes"]["crun"] == {"path": "/c", "runtimeArgs": ["--x"]}
    assert info["DefaultRuntime"] == "dockyard"
    assert info["CgroupVersion"] in ("1", "2")
    assert info["SecurityOptions"][0] == "name=seccomp,profile=builtin"
    assert info["ContainerdCommit"]["ID"] == info["ContainerdCommit"]["Expected"]


def test_info_counts_event_listeners(tmp_path: Path) -> None:
    system, _, events = make_system(tmp_path)

    async def scenario() -> int:
        sub = events.subscribe()
        count = system.info()["NEventsListener"]
        await sub.aclose()
        return count

    assert asyncio.run(scenario()) == 1
    assert system.info()["NEventsListener"] == 0


def test_version_document(tmp_path: Path) -> None:
    system, _, _ = make_system(tmp_path)
    version = system.version()
    assert version["ApiVersion"] == "1.51"
    assert version["MinAPIVersion"] == "1.24"
    assert version["Os"] == "linux"
    assert version["Arch"] in ("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64")
    assert isinstance(version["KernelVersion"], str) and version["KernelVersion"]
    engine = version["Components"][0]
    assert engine["Name"] == "Engine"
    assert engine["Details"]["ApiVersion"] == "1.51"
    assert all(isinstance(v, str) for v in engine["Details"].values())
    assert isinstance(version["BuildTime"], str) and version["BuildTime"].endswith("Z")


def test_ping_headers(tmp_path: Path) -> None:
    headers = make_system(tmp_path)[0].ping_headers()
    assert headers["API-Version"] == "1.51"
    assert headers["Builder-Version"] == "1"
    assert headers["OSType"] == "linux"
    assert headers["Docker-Experimental"] == "false"


def test_df_reports_images_and_layer_sizes(tmp_path: Path) -> None:
    system, images, _ = make_system(tmp_path, states=["running"])
    images.import_image(io.BytesIO(tar_of({"f": b"x" * 1000})), repo_tag="one:latest")
    df = asyncio.run(system.df())
    assert set(df) == {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    assert df["LayersSize"] > 0
    assert [i["RepoTags"] for i in df["Images"]] == [["one:latest"]]
    assert df["Containers"][0]["State"] == "running"
    assert df["Volumes"] == [] and df["BuildCache"] == []


def test_registry_config_lists_insecure_registries_and_mirrors() -> None:
    doc = registry_config(
        DaemonConfig(
            insecure_registries=("10.0.0.0/8", "reg:5000"), registry_mirrors=("https://m",)
        )
    )
    assert doc["InsecureRegistryCIDRs"] == ["127.0.0.0/8", "::1/128", "10.0.0.0/8"]
    assert doc["IndexConfigs"]["reg:5000"]["Secure"] is False
    assert doc["IndexConfigs"]["docker.io"] == {
        "Name": "docker.io",
        "Mirrors": ["https://m"],
        "Secure": True,
        "Official": True,
    }
    assert doc["Mirrors"] == ["https://m"]


@pytest.mark.parametrize(
    ("server", "domain"),
    [
        ("", "docker.io"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("localhost:5000", "localhost:5000"),
        ("https://reg.example:443/v2/", "reg.example:443"),
    ],
)
def test_login_domain(server: str, domain: str) -> None:
    assert login_domain(server) == domain
