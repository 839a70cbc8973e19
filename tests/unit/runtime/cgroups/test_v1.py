"""The cgroup v1 manager against a fake hierarchy tree (hybrid: v1 plus a cgroup2 mount)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dockyard import errdefs
from dockyard.runtime.cgroups import new_manager

from .faketree import UNLIMITED, V1_LAYOUT, FakeV1, fake_v1

if TYPE_CHECKING:
    from dockyard.runtime.cgroups.manager import Manager


INNER = "/dockyard/c1"


@pytest.fixture
def tree(cgroot: Path) -> FakeV1:
    t = fake_v1(cgroot / "cg")
    t.populate(INNER)
    return t


def manager(t: FakeV1, path: str = INNER, cid: str = "c1") -> Manager:
    return new_manager(cgroups_path=path, container_id=cid, hierarchies=t.hierarchies)


def read(t: FakeV1, name: str, file: str, inner: str = INNER) -> str:
    return (t.dir(name, inner) / file).read_text().strip()


def test_paths_name_every_controller_named_hierarchy_and_unified(tree: FakeV1) -> None:
    paths = manager(tree).paths()
    assert paths["cpu"] == paths["cpuacct"] == str(tree.dir("cpu,cpuacct", INNER))
    assert paths["net_prio"] == str(tree.dir("net_cls,net_prio", INNER))
    assert paths["name=systemd"] == str(tree.dir("systemd", INNER))
    assert paths["unified"] == str(tree.dir("unified", INNER))
    assert len(paths) == 13


def test_empty_and_relative_paths_go_under_our_own_cgroup(cgroot: Path) -> None:
    t = fake_v1(cgroot, own="/user.slice")
    assert manager(t, "", "c9").paths()["memory"] == str(t.dir("memory", "/user.slice/c9"))
    assert manager(t, "a/../../b").paths()["pids"] == str(t.dir("pids", "/user.slice/b"))
    assert manager(t, "/abs").paths()["pids"] == str(t.dir("pids", "/abs"))


def test_create_copies_cpuset_from_the_parent_at_every_level(tree: FakeV1) -> None:
    manager(tree).create()
    assert read(tree, "cpuset", "cpuset.cpus", "/dockyard") == "0-3"
    assert read(tree, "cpuset", "cpuset.cpus") == "0-3"
    assert read(tree, "cpuset", "cpuset.mems") == "0"


def test_create_makes_missing_directories(cgroot: Path) -> None:
    t = fake_v1(cgroot, layout={"memory": ("memory",), "devices": ("devices",)})
    m = manager(t)
    assert not m.exists()
    m.create()
    assert m.exists()
    assert t.dir("memory", INNER).is_dir() and t.dir("unified", INNER).is_dir()


def test_named_hierarchy_failures_are_tolerated_controller_ones_are_not(tree: FakeV1) -> None:
    m = manager(tree, "/other")
    tree.populate("/other")
    # A file where the directory should be: mkdir -p fails.
    tree.populate("/blocked")
    tree.dir("systemd", "/blocked").rename(tree.dir("systemd", "/moved"))
    tree.dir("systemd", "/blocked").write_text("")
    manager(tree, "/blocked").create()  # systemd is best-effort, as in runc
    tree.populate("/blocked2")
    tree.dir("memory", "/blocked2").rename(tree.dir("memory", "/moved"))
    tree.dir("memory", "/blocked2").write_text("")
    with pytest.raises(errdefs.FailedPrecondition, match="memory/blocked2"):
        manager(tree, "/blocked2").create()
    m.add(4242)
    assert read(tree, "memory", "cgroup.procs", "/other") == "4242"
    assert read(tree, "systemd", "cgroup.procs", "/other") == "4242"
    assert read(tree, "unified", "cgroup.procs", "/other") == "4242"


def test_add_to_a_missing_cgroup_is_not_found(cgroot: Path) -> None:
    t = fake_v1(cgroot)
    with pytest.raises(errdefs.NotFound, match="does not exist"):
        manager(t).add(1)


def test_set_memory(tree: FakeV1) -> None:
    manager(tree).set(
        {
            "memory": {
                "limit": 64 << 20,
                "reservation": 32 << 20,
                "swap": 128 << 20,
                "swappiness": 0,
                "disableOOMKiller": True,
                "kernel": 1 << 20,  # ignored, as newer runc does
            }
        }
    )
    assert read(tree, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert read(tree, "memory", "memory.memsw.limit_in_bytes") == str(128 << 20)
    assert read(tree, "memory", "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(tree, "memory", "memory.swappiness") == "0"
    assert read(tree, "memory", "memory.oom_control") == "1"


def test_unlimited_memory_implies_unlimited_swap_only_with_swap_accounting(
    tree: FakeV1, cgroot: Path
) -> None:
    manager(tree).set({"memory": {"limit": -1}})
    assert read(tree, "memory", "memory.memsw.limit_in_bytes") == "-1"
    t = fake_v1(cgroot / "nomemsw", memsw=False)
    t.populate(INNER)
    manager(t).set({"memory": {"limit": -1}})
    assert read(t, "memory", "memory.limit_in_bytes") == "-1"


def test_swap_without_swap_accounting_is_a_failed_precondition(cgroot: Path) -> None:
    t = fake_v1(cgroot, memsw=False)
    t.populate(INNER)
    with pytest.raises(errdefs.FailedPrecondition) as exc:
        manager(t).set({"memory": {"limit": 64 << 20, "swap": 128 << 20}})
    assert "failed to write 134217728 to" in str(exc.value)
    assert "memory.memsw.limit_in_bytes" in str(exc.value)
    assert "swap accounting is not enabled" in str(exc.value)


def test_bad_swappiness_is_refused_before_any_write(tree: FakeV1) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="swappiness value: 101"):
        manager(tree).set({"memory": {"limit": 1 << 20, "swappiness": 101}})
    assert read(tree, "memory", "memory.limit_in_bytes") == UNLIMITED


def test_set_cpu_and_cpuset(tree: FakeV1) -> None:
    cpu: dict[str, Any] = {
        "shares": 512,
        "quota": 50000,
        "period": 200000,
        "burst": 1000,
        "realtimeRuntime": 950,
        "realtimePeriod": 1000,
        "idle": 1,
        "cpus": "1-2",
        "mems": "0",
    }
    manager(tree).set({"cpu": cpu})
    assert read(tree, "cpu,cpuacct", "cpu.shares") == "512"
    assert read(tree, "cpu,cpuacct", "cpu.cfs_quota_us") == "50000"
    assert read(tree, "cpu,cpuacct", "cpu.cfs_period_us") == "200000"
    assert read(tree, "cpu,cpuacct", "cpu.cfs_burst_us") == "1000"
    assert read(tree, "cpu,cpuacct", "cpu.rt_runtime_us") == "950"
    assert read(tree, "cpu,cpuacct", "cpu.rt_period_us") == "1000"
    assert read(tree, "cpu,cpuacct", "cpu.idle") == "1"
    assert read(tree, "cpuset", "cpuset.cpus") == "1-2"
    assert read(tree, "cpuset", "cpuset.mems") == "0"


def test_missing_kernel_file_names_file_and_value(tree: FakeV1) -> None:
    (tree.dir("cpu,cpuacct", INNER) / "cpu.idle").unlink()
    with pytest.raises(errdefs.FailedPrecondition) as exc:
        manager(tree).set({"cpu": {"idle": 1}})
    assert str(exc.value) == (
        f"failed to write 1 to {tree.dir('cpu,cpuacct', INNER)}/cpu.idle: No such file or directory"
    )


def test_set_pids(tree: FakeV1) -> None:
    m = manager(tree)
    m.set({"pids": {"limit": 10}})
    assert read(tree, "pids", "pids.max") == "10"
    m.set({"pids": {"limit": -1}})
    assert read(tree, "pids", "pids.max") == "max"


def test_set_blkio(tree: FakeV1) -> None:
    manager(tree).set(
        {
            "blockIO": {
                "weight": 300,
                "leafWeight": 200,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 100, "leafWeight": 50}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2}],
                "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 3}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 4}],
            }
        }
    )
    assert read(tree, "blkio", "blkio.weight") == "300"
    assert read(tree, "blkio", "blkio.leaf_weight") == "200"
    assert read(tree, "blkio", "blkio.weight_device") == "8:0 100"
    assert read(tree, "blkio", "blkio.leaf_weight_device") == "8:0 50"
    assert read(tree, "blkio", "blkio.throttle.read_bps_device") == "8:0 1048576"
    assert read(tree, "blkio", "blkio.throttle.write_bps_device") == "8:16 2"
    assert read(tree, "blkio", "blkio.throttle.read_iops_device") == "8:0 3"
    assert read(tree, "blkio", "blkio.throttle.write_iops_device") == "8:0 4"


def test_blkio_uses_bfq_files_when_cfq_ones_are_missing(tree: FakeV1) -> None:
    d = tree.dir("blkio", INNER)
    (d / "blkio.weight").unlink()
    (d / "blkio.bfq.weight").write_text("100")
    (d / "blkio.bfq.weight_device").write_text("")
    manager(tree).set(
        {"blockIO": {"weight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}]}}
    )
    assert (d / "blkio.bfq.weight").read_text() == "300"
    assert (d / "blkio.bfq.weight_device").read_text() == "8:0 10"


def test_set_hugetlb_and_network(tree: FakeV1) -> None:
    manager(tree).set(
        {
            "hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}],
            "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 7}]},
        }
    )
    assert read(tree, "hugetlb", "hugetlb.2MB.limit_in_bytes") == str(4 << 20)
    assert read(tree, "net_cls,net_prio", "net_cls.classid") == "1048577"
    assert read(tree, "net_cls,net_prio", "net_prio.ifpriomap") == "eth0 7"


def test_set_devices_resets_then_allows_the_rules_and_defaults(tree: FakeV1) -> None:
    manager(tree).set({"devices": [{"allow": False, "access": "rwm"}]})
    # Each write truncates the fake file, so it holds the last line written to it.
    assert read(tree, "devices", "devices.deny") == "a *:* rwm"
    assert read(tree, "devices", "devices.allow") == "c 136:* rwm"


def test_device_rule_v1_cannot_express_fails_before_any_write(tree: FakeV1) -> None:
    rules = [
        {"allow": True, "type": "c", "major": 1, "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "w"},
    ]
    with pytest.raises(errdefs.InvalidArgument, match="punch a hole"):
        manager(tree).set({"devices": rules, "cpu": {"cpus": "1"}})
    assert read(tree, "cpuset", "cpuset.cpus") == ""
    assert read(tree, "devices", "devices.deny") == ""


def test_missing_controller_fails_before_any_write(cgroot: Path) -> None:
    layout = {k: v for k, v in V1_LAYOUT.items() if k != "hugetlb"}
    t = fake_v1(cgroot, layout=layout)
    t.populate(INNER)
    with pytest.raises(
        errdefs.FailedPrecondition, match="hugetlb cgroup controller is not mounted"
    ):
        manager(t).set(
            {"memory": {"limit": 1 << 20}, "hugepageLimits": [{"pageSize": "2MB", "limit": 1}]}
        )
    assert read(t, "memory", "memory.limit_in_bytes") == UNLIMITED


def test_unified_and_rdma_are_refused_on_v1(tree: FakeV1) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="unified"):
        manager(tree).set({"unified": {"memory.high": "1"}})
    with pytest.raises(errdefs.Unimplemented, match="rdma"):
        manager(tree).set({"rdma": {"mlx5_1": {"hcaHandles": 3}}})


def test_missing_devices_hierarchy_refuses_to_manage(cgroot: Path) -> None:
    t = fake_v1(cgroot, layout={"memory": ("memory",)})
    with pytest.raises(errdefs.FailedPrecondition, match="devices controller is not mounted"):
        manager(t)


def test_freeze_thaw_frozen(tree: FakeV1) -> None:
    m = manager(tree)
    assert not m.frozen()
    m.freeze()
    assert read(tree, "freezer", "freezer.state") == "FROZEN"
    # FROZEN because an ancestor is frozen reads self_freezing 0: not frozen itself (runc).
    assert not m.frozen()
    (tree.dir("freezer", INNER) / "freezer.self_freezing").write_text("1\n")
    assert m.frozen()
    m.thaw()
    assert read(tree, "freezer", "freezer.state") == "THAWED"
    assert not m.frozen()


def test_pids_are_recursive(tree: FakeV1) -> None:
    d = tree.dir("devices", INNER)
    (d / "cgroup.procs").write_text("10\n11\n")
    (d / "child").mkdir()
    (d / "child" / "cgroup.procs").write_text("12\n10\n")
    assert sorted(manager(tree).pids()) == [10, 11, 12]


def test_pids_of_a_missing_cgroup_is_not_found(cgroot: Path) -> None:
    with pytest.raises(errdefs.NotFound):
        manager(fake_v1(cgroot)).pids()


def test_destroy_removes_children_first_and_is_idempotent(cgroot: Path) -> None:
    t = fake_v1(cgroot, layout={"memory": ("memory",), "devices": ("devices",)})
    m = manager(t)
    m.create()
    (t.dir("memory", INNER) / "sub" / "subsub").mkdir(parents=True)
    m.destroy()
    assert not t.dir("memory", INNER).exists()
    assert not t.dir("unified", INNER).exists()
    assert t.dir("memory", "/dockyard").is_dir()  # only the container's cgroup goes
    m.destroy()


def test_destroy_that_cannot_remove_is_a_conflict_naming_the_dir(cgroot: Path) -> None:
    t = fake_v1(cgroot, layout={"memory": ("memory",), "devices": ("devices",)})
    m = manager(t)
    m.create()
    (t.dir("memory", INNER) / "stuck").write_text("")  # rmdir says ENOTEMPTY, like EBUSY would
    with pytest.raises(errdefs.Conflict, match=f"failed to remove cgroup {t.dir('memory', INNER)}"):
        m.destroy()
    assert not t.dir("devices", INNER).exists()  # the others were still removed
