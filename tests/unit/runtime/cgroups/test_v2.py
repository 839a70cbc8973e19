"""The cgroup v2 manager against a fake unified tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dockyard import errdefs
from dockyard.runtime.cgroups import new_manager, v2
from dockyard.runtime.cgroups.v2_resources import blkio_to_io_weight, shares_to_weight
from dockyard.runtime.runlog import Log, Logger

from .faketree import FakeV2, fake_v2

if TYPE_CHECKING:
    from dockyard.runtime.cgroups.manager import Manager


INNER = "/dockyard/c1"


@pytest.fixture
def tree(cgroot: Path) -> FakeV2:
    t = fake_v2(cgroot)
    t.populate(INNER)
    return t


def manager(t: FakeV2, path: str = INNER) -> Manager:
    return new_manager(cgroups_path=path, container_id="c1", hierarchies=t.hierarchies)


def read(t: FakeV2, file: str, inner: str = INNER) -> str:
    return (t.dir(inner) / file).read_text().strip()


def test_paths_and_relative_resolution_beside_our_own_cgroup(cgroot: Path) -> None:
    t = fake_v2(cgroot, own="/user.slice/session-1.scope")
    assert manager(t).paths() == {"unified": str(t.dir(INNER))}
    assert manager(t, "").paths() == {"unified": str(t.dir("/user.slice/c1"))}


def test_create_enables_controllers_down_to_the_parent(tree: FakeV2) -> None:
    manager(tree).create()
    enabled = "+cpuset +cpu +io +memory +hugetlb +pids"
    assert read(tree, "cgroup.subtree_control", "") == enabled
    assert read(tree, "cgroup.subtree_control", "/dockyard") == enabled
    assert read(tree, "cgroup.subtree_control") == ""  # the leaf keeps its own


def test_create_removes_what_it_made_when_it_fails(cgroot: Path) -> None:
    t = fake_v2(cgroot)
    # A plain mkdir gets no cgroup.controllers (a kernel would add it): the second level fails.
    with pytest.raises(errdefs.FailedPrecondition, match=r"cgroup\.controllers"):
        manager(t).create()
    assert not t.dir("/dockyard").exists()


def test_add_writes_cgroup_procs(tree: FakeV2) -> None:
    manager(tree).add(77)
    assert read(tree, "cgroup.procs") == "77"


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        (
            {"limit": 64 << 20, "swap": 128 << 20},
            {"memory.max": str(64 << 20), "memory.swap.max": str(64 << 20)},
        ),
        ({"limit": 64 << 20, "swap": 64 << 20}, {"memory.swap.max": "0"}),
        ({"limit": 64 << 20, "swap": -1}, {"memory.swap.max": "max"}),
        ({"limit": -1}, {"memory.max": "max", "memory.swap.max": "max"}),
        ({"reservation": 1 << 20}, {"memory.low": str(1 << 20)}),
    ],
)
def test_set_memory(tree: FakeV2, memory: dict[str, Any], expected: dict[str, str]) -> None:
    (tree.dir(INNER) / "memory.swap.max").write_text("untouched")
    manager(tree).set({"memory": memory})
    for file, value in expected.items():
        assert read(tree, file) == value


@pytest.mark.parametrize(
    ("memory", "message"),
    [
        ({"swap": 128 << 20}, "without memory limit"),
        ({"limit": 64 << 20, "swap": 32 << 20}, "should be >= memory limit"),
    ],
)
def test_bad_swap_is_refused_before_any_write(
    tree: FakeV2, memory: dict[str, Any], message: str
) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message):
        manager(tree).set({"memory": memory, "pids": {"limit": 5}})
    assert read(tree, "pids.max") == "max"


def test_set_cpu(tree: FakeV2) -> None:
    m = manager(tree)
    m.set(
        {"cpu": {"shares": 1024, "quota": 50000, "burst": 10, "idle": 0, "cpus": "0", "mems": "0"}}
    )
    assert read(tree, "cpu.weight") == "39"
    assert read(tree, "cpu.max") == "50000 100000"
    assert read(tree, "cpu.max.burst") == "10"
    assert read(tree, "cpu.idle") == "0"
    assert read(tree, "cpuset.cpus") == "0"
    assert read(tree, "cpuset.mems") == "0"
    m.set({"cpu": {"quota": -1, "period": 200000}})
    assert read(tree, "cpu.max") == "max 200000"


def test_conversions_match_runc() -> None:
    assert shares_to_weight(0) == 0
    assert shares_to_weight(2) == 1
    assert shares_to_weight(1024) == 39
    assert shares_to_weight(262144) == 10000
    assert shares_to_weight(1) == 1  # clamped like the v1 kernel, never below 1
    assert blkio_to_io_weight(10) == 1
    assert blkio_to_io_weight(500) == 4950
    assert blkio_to_io_weight(1000) == 10000


def test_set_pids_hugetlb_unified(tree: FakeV2) -> None:
    (tree.dir(INNER) / "memory.high").write_text("max")
    manager(tree).set(
        {
            "pids": {"limit": 10},
            "hugepageLimits": [{"pageSize": "2MB", "limit": 2 << 20}],
            "unified": {"memory.high": "1048576"},
        }
    )
    assert read(tree, "pids.max") == "10"
    assert read(tree, "hugetlb.2MB.max") == str(2 << 20)
    assert read(tree, "memory.high") == "1048576"


def test_io_without_bfq_converts_weights_into_io_weight(tree: FakeV2) -> None:
    m = manager(tree)
    m.set({"blockIO": {"weight": 500}})
    assert read(tree, "io.weight") == "4950"
    m.set(
        {
            "blockIO": {
                "weightDevice": [{"major": 8, "minor": 0, "weight": 1000}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 300}],
            }
        }
    )
    assert read(tree, "io.weight") == "8:0 10000"
    assert read(tree, "io.max") == "8:0 wiops=300"


def test_io_with_bfq_writes_raw_weights_there(tree: FakeV2) -> None:
    bfq = tree.dir(INNER) / "io.bfq.weight"
    bfq.write_text("default 100\n")
    manager(tree).set(
        {"blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 20}]}}
    )
    assert bfq.read_text() == "8:0 20"
    assert read(tree, "io.weight") == "default 100"


def test_missing_controller_names_it_and_what_is_available(tree: FakeV2) -> None:
    (tree.dir(INNER) / "cgroup.controllers").write_text("cpu pids")
    with pytest.raises(errdefs.FailedPrecondition) as exc:
        manager(tree).set({"pids": {"limit": 3}, "memory": {"limit": 1 << 20}})
    assert "memory controller is not enabled" in str(exc.value)
    assert "cgroup.controllers: cpu pids" in str(exc.value)
    assert read(tree, "pids.max") == "max"
    with pytest.raises(errdefs.FailedPrecondition, match="memory controller"):
        manager(tree).set({"unified": {"memory.high": "1"}})


def test_unified_key_must_be_a_file_name(tree: FakeV2) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="unified key"):
        manager(tree).set({"unified": {"../memory.max": "1"}})


def test_device_rules_are_refused_unless_they_restrict_nothing(tree: FakeV2) -> None:
    m = manager(tree)
    with pytest.raises(errdefs.Unimplemented, match="eBPF"):
        m.set({"devices": [{"allow": False, "access": "rwm"}]})
    m.set({"devices": []})
    m.set({"devices": [{"allow": True, "access": "rwm"}]})


def test_knobs_v2_dropped_are_warned_about(
    tree: FakeV2, capsys: pytest.CaptureFixture[str]
) -> None:
    Logger.use(Log())  # warnings to stderr
    manager(tree).set({"memory": {"swappiness": 10}, "network": {"classID": 1}})
    err = capsys.readouterr().err
    assert "memory.swappiness" in err
    assert "network" in err


def test_freeze_thaw_frozen(tree: FakeV2) -> None:
    m = manager(tree)
    events = tree.dir(INNER) / "cgroup.events"
    events.write_text("populated 1\nfrozen 1\n")  # the kernel's answer to cgroup.freeze=1
    m.freeze()
    assert read(tree, "cgroup.freeze") == "1"
    assert m.frozen()
    m.thaw()
    assert read(tree, "cgroup.freeze") == "0"
    assert not m.frozen()


def test_freeze_that_never_completes_thaws_and_fails(
    tree: FakeV2, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(v2, "FREEZE_TIMEOUT", 0.05)
    with pytest.raises(errdefs.Conflict, match="did not report frozen"):
        manager(tree).freeze()
    assert read(tree, "cgroup.freeze") == "0"


def test_freeze_without_the_v2_freezer(tree: FakeV2) -> None:
    (tree.dir(INNER) / "cgroup.freeze").unlink()
    m = manager(tree)
    with pytest.raises(errdefs.FailedPrecondition, match=r"cgroup\.freeze"):
        m.freeze()
    m.thaw()
    assert not m.frozen()


def test_pids_exists_destroy(cgroot: Path) -> None:
    t = fake_v2(cgroot)
    leaf = t.dir(INNER)
    (leaf / "child").mkdir(parents=True)
    m = manager(t)
    assert m.exists()
    m.destroy()
    assert not leaf.exists() and t.dir("/dockyard").exists()
    assert not m.exists()
    m.destroy()
    with pytest.raises(errdefs.NotFound):
        m.pids()
