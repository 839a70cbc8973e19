"""cgroups: where a container's cgroup is, and `docker update` merged and written as Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers.cgroups import apply_update, cgroup_dir, cgroups_path, merge_update
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.containers.state import Status
from tests.unit.runtime.cgroups.faketree import fake_v1, fake_v2

CID = "c" * 64


def container(host_config: dict[str, Any] | None = None, *, running: bool = True) -> Container:
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={"Image": "busybox"},
        host_config=host_config or {},
        data_dir="/nonexistent",
        exec_dir="/nonexistent",
    )
    if running:
        c.state.status = Status.RUNNING
    return c


def test_cgroups_path_uses_the_container_parent_else_the_daemon_default() -> None:
    assert cgroups_path(container(), defaults=Defaults()) == f"/dockyard/{CID}"
    c = container({"CgroupParent": "/custom"})
    assert cgroups_path(c, defaults=Defaults()) == f"/custom/{CID}"


def test_cgroup_dir_per_controller_on_v1_and_single_dir_on_v2(tmp_path: Path) -> None:
    v1 = fake_v1(tmp_path / "v1")
    c = container()
    mem = cgroup_dir(c, "memory", defaults=Defaults(), hierarchies=v1.hierarchies)
    assert mem == str(tmp_path / "v1" / "memory" / "dockyard" / CID)
    cpuacct = cgroup_dir(c, "cpuacct", defaults=Defaults(), hierarchies=v1.hierarchies)
    assert cpuacct == str(tmp_path / "v1" / "cpu,cpuacct" / "dockyard" / CID)
    with pytest.raises(errdefs.FailedPrecondition, match="rdma"):
        cgroup_dir(c, "rdma", defaults=Defaults(), hierarchies=v1.hierarchies)
    v2 = fake_v2(tmp_path / "v2")
    d = cgroup_dir(c, "memory", defaults=Defaults(cgroup_parent="/x"), hierarchies=v2.hierarchies)
    assert d == str(tmp_path / "v2" / "x" / CID)


def test_memory_above_stored_swap_needs_memory_swap_too() -> None:
    c = container({"Memory": 100 << 20, "MemorySwap": 200 << 20})
    with pytest.raises(errdefs.InvalidArgument) as err:
        merge_update(c, {"Memory": 300 << 20})
    assert str(err.value) == (
        f"Cannot update container {CID}: Memory limit should be smaller than already set "
        "memoryswap limit, update the memoryswap at the same time"
    )
    # Docker's quirk: a container without limits (MemorySwap 0) also needs --memory-swap
    with pytest.raises(errdefs.InvalidArgument, match="memoryswap"):
        merge_update(container(), {"Memory": 64 << 20})
    merged = merge_update(c, {"Memory": 150 << 20})
    assert merged["Memory"] == 150 << 20 and merged["MemorySwap"] == 200 << 20
    merged = merge_update(container(), {"Memory": 64 << 20, "MemorySwap": -1})
    assert merged["Memory"] == 64 << 20 and merged["MemorySwap"] == -1


@pytest.mark.parametrize(
    ("stored", "update", "message"),
    [
        ({"CpuPeriod": 50000}, {"NanoCpus": 10**9}, "Nano CPUs cannot be updated as CPU Period"),
        ({"CpuQuota": 50000}, {"NanoCpus": 10**9}, "Nano CPUs cannot be updated as CPU Quota"),
        ({"NanoCpus": 10**9}, {"CpuPeriod": 50000}, "CPU Period cannot be updated as NanoCPUs"),
        ({"NanoCpus": 10**9}, {"CpuQuota": 50000}, "CPU Quota cannot be updated as NanoCPUs"),
    ],
)
def test_nano_cpus_and_cfs_settings_exclude_each_other(
    stored: dict[str, Any], update: dict[str, Any], message: str
) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="Conflicting options: " + message):
        merge_update(container(stored), update)


def test_merge_keeps_zero_fields_and_treats_pids_limit_zero_as_unlimited() -> None:
    c = container({"CpuShares": 512, "PidsLimit": 100, "CpusetCpus": "0"})
    merged = merge_update(c, {"CpuShares": 0, "CpusetCpus": "", "PidsLimit": 0})
    assert merged["CpuShares"] == 512 and merged["CpusetCpus"] == "0"
    assert merged["PidsLimit"] == 0
    assert merge_update(c, {"PidsLimit": -1})["PidsLimit"] == 0
    assert merge_update(c, {})["PidsLimit"] == 100
    assert c.host_config["PidsLimit"] == 100  # never mutated


def test_apply_update_writes_v1_files(tmp_path: Path) -> None:
    v1 = fake_v1(tmp_path)
    inner = f"dockyard/{CID}"
    v1.populate(inner)
    c = container({"Memory": 100 << 20, "MemorySwap": 200 << 20})
    apply_update(
        c,
        {
            "Memory": 300 << 20,
            "MemorySwap": 600 << 20,
            "MemoryReservation": 50 << 20,
            "NanoCpus": 1_500_000_000,
            "CpuShares": 512,
            "CpusetCpus": "0-1",
            "PidsLimit": 42,
            "BlkioWeight": 300,
        },
        defaults=Defaults(),
        hierarchies=v1.hierarchies,
    )

    def read(name: str, file: str) -> str:
        return (v1.dir(name, inner) / file).read_text()

    assert read("memory", "memory.limit_in_bytes") == str(300 << 20)
    assert read("memory", "memory.memsw.limit_in_bytes") == str(600 << 20)
    assert read("memory", "memory.soft_limit_in_bytes") == str(50 << 20)
    assert read("cpu,cpuacct", "cpu.cfs_period_us") == "100000"
    assert read("cpu,cpuacct", "cpu.cfs_quota_us") == "150000"
    assert read("cpu,cpuacct", "cpu.shares") == "512"
    assert read("cpuset", "cpuset.cpus") == "0-1"
    assert read("pids", "pids.max") == "42"
    assert read("blkio", "blkio.weight") == "300"


def test_apply_update_pids_unlimited_and_stopped_container_writes_nothing(tmp_path: Path) -> None:
    v1 = fake_v1(tmp_path)
    inner = f"dockyard/{CID}"
    v1.populate(inner)
    pids_max = v1.dir("pids", inner) / "pids.max"
    pids_max.write_text("10")
    apply_update(container(), {"PidsLimit": 0}, defaults=Defaults(), hierarchies=v1.hierarchies)
    assert pids_max.read_text() == "max"
    stopped = container(running=False)
    apply_update(stopped, {"PidsLimit": 5}, defaults=Defaults(), hierarchies=v1.hierarchies)
    assert pids_max.read_text() == "max"
    with pytest.raises(errdefs.InvalidArgument, match="memoryswap"):
        apply_update(stopped, {"Memory": 1 << 20}, defaults=Defaults(), hierarchies=v1.hierarchies)


def test_apply_update_on_a_vanished_cgroup_is_not_running(tmp_path: Path) -> None:
    v1 = fake_v1(tmp_path)
    with pytest.raises(errdefs.Conflict, match=f"Container {CID} is not running"):
        apply_update(
            container(), {"CpuShares": 100}, defaults=Defaults(), hierarchies=v1.hierarchies
        )


def test_apply_update_writes_v2_files(tmp_path: Path) -> None:
    v2 = fake_v2(tmp_path)
    inner = f"dockyard/{CID}"
    v2.populate(inner)
    c = container({"Memory": 100 << 20, "MemorySwap": 200 << 20})
    apply_update(
        c,
        {"Memory": 300 << 20, "MemorySwap": 500 << 20, "CpuQuota": 50000, "CpuShares": 1024},
        defaults=Defaults(),
        hierarchies=v2.hierarchies,
    )
    d = v2.dir(inner)
    assert (d / "memory.max").read_text() == str(300 << 20)
    assert (d / "memory.swap.max").read_text() == str(200 << 20)
    assert (d / "cpu.max").read_text() == "50000 100000"
    assert (d / "cpu.weight").read_text() == "39"
