"""Parsing linux.resources into records, and the device rule sequence."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard import errdefs
from dockyard.runtime.cgroups.devices import (
    DEFAULT_ALLOWED,
    Emulator,
    allows_everything,
    v1_writes,
)
from dockyard.runtime.cgroups.resources import (
    Cpu,
    DeviceRule,
    Memory,
    ThrottleDevice,
    WeightDevice,
    parse_resources,
)
from dockyard.runtime.runlog import Log, Logger


def test_parse_full_object() -> None:
    res = parse_resources(
        {
            "memory": {"limit": 64 << 20, "swap": -1, "kernel": 1, "disableOOMKiller": True},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1"},
            "pids": {"limit": 10},
            "blockIO": {
                "weight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1024}],
            },
            "hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}],
            "network": {"classID": 0x100001, "priorities": [{"name": "eth0", "priority": 5}]},
            "devices": [
                {"allow": False, "access": "rwm"},
                {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"},
            ],
            "unified": {"memory.high": "1G"},
        }
    )
    assert res.memory == Memory(limit=64 << 20, swap=-1, disable_oom_killer=True)
    assert res.cpu == Cpu(shares=512, quota=50000, period=100000, cpus="0-1")
    assert res.pids_limit == 10
    assert res.block_io is not None
    assert res.block_io.weight_device == (WeightDevice(8, 0, 200, None),)
    assert res.block_io.throttle_read_bps == (ThrottleDevice(8, 0, 1024),)
    assert res.hugepage_limits[0].page_size == "2MB"
    assert res.network is not None and res.network.priorities[0].name == "eth0"
    assert res.devices == (DeviceRule(False), DeviceRule(True, "c", 1, 3, "r"))
    assert res.unified == (("memory.high", "1G"),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"memory": {"limit": "abc"}},
            "linux.resources.memory.limit: expected an integer, got 'abc'",
        ),
        ({"memory": {"limit": True}}, "expected an integer"),
        ({"cpu": {"shares": -1}}, "linux.resources.cpu.shares"),
        ({"cpu": {"cpus": 0}}, "expected a string"),
        ({"pids": {}}, "limit is required"),
        ({"hugepageLimits": [{"pageSize": "../x", "limit": 1}]}, "pageSize"),
        ({"devices": [{"allow": True, "access": ""}]}, r"devices\[0\].access"),
        ({"devices": [{"allow": True, "access": "rwx"}]}, "letters from rwm"),
        ({"devices": [{"allow": True, "type": "p", "access": "r"}]}, "a, b or c"),
        ({"devices": [{"access": "r"}]}, "allow is required"),
        ({"blockIO": {"weight": 70000}}, "0..65535"),
        ({"network": {"priorities": [{"priority": 1}]}}, "name is required"),
        ({"unified": {"memory.high": None}}, "expected a string"),
        ({"memory": []}, "expected an object"),
    ],
)
def test_parse_rejects_bad_values_naming_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message):
        parse_resources(raw)


def test_device_minus_one_and_absent_numbers_are_wildcards() -> None:
    res = parse_resources({"devices": [{"allow": True, "type": "c", "major": -1, "access": "m"}]})
    assert res.devices[0].cgroup_string() == "c *:* m"


def test_v1_writes_match_runc_from_a_fresh_cgroup() -> None:
    rules = [
        DeviceRule(allow=False, access="rwm"),
        DeviceRule(allow=True, type="c", major=10, minor=229, access="rwm"),
        DeviceRule(allow=False, type="c", major=1, minor=3, access="w"),
    ]
    # A new cgroup inherits allow-all; runc's emulator resets it, then writes the final
    # exceptions (the spec's plus its defaults) sorted by (major, minor, type).
    assert v1_writes(rules, "a *:* rwm") == [
        ("devices.deny", "a *:* rwm"),
        ("devices.allow", "b *:* m"),
        ("devices.allow", "c *:* m"),
        ("devices.allow", "c 1:3 rwm"),  # the spec's deny came before runc's default allow
        ("devices.allow", "c 1:5 rwm"),
        ("devices.allow", "c 1:7 rwm"),
        ("devices.allow", "c 1:8 rwm"),
        ("devices.allow", "c 1:9 rwm"),
        ("devices.allow", "c 5:0 rwm"),
        ("devices.allow", "c 5:2 rwm"),
        ("devices.allow", "c 10:200 rwm"),
        ("devices.allow", "c 10:229 rwm"),
        ("devices.allow", "c 136:* rwm"),
    ]


def test_empty_rules_still_deny_everything_but_the_defaults() -> None:
    writes = v1_writes([], "a *:* rwm")
    assert writes[0] == ("devices.deny", "a *:* rwm")
    assert {line for _, line in writes[1:]} == {r.cgroup_string() for r in DEFAULT_ALLOWED}


def test_updating_a_whitelist_writes_only_the_difference() -> None:
    current = "\n".join(r.cgroup_string() for r in DEFAULT_ALLOWED) + "\nc 4:1 rw\n"
    rules = [DeviceRule(allow=True, type="c", major=10, minor=229, access="r")]
    assert v1_writes(rules, current) == [
        ("devices.deny", "c 4:1 rw"),
        ("devices.allow", "c 10:229 r"),
    ]


def test_privileged_rules_switch_to_allow_all() -> None:
    assert v1_writes([DeviceRule(allow=True, access="rwm")], "c 1:3 rwm") == [
        ("devices.allow", "a *:* rwm")
    ]


def test_a_deny_inside_a_wildcard_allow_is_refused() -> None:
    rules = [
        DeviceRule(allow=True, type="c", major=1, access="rwm"),
        DeviceRule(allow=False, type="c", major=1, minor=3, access="w"),
    ]
    with pytest.raises(errdefs.InvalidArgument, match="cannot punch a hole"):
        v1_writes(rules, "a *:* rwm")
    assert Emulator.from_rules(rules[:1]).exceptions == {(1, -1, "c"): "rwm"}


def test_allows_everything() -> None:
    allow_all = DeviceRule(allow=True, access="rwm")
    assert allows_everything([allow_all])
    assert allows_everything([DeviceRule(allow=False), allow_all])
    assert not allows_everything([])
    assert not allows_everything([allow_all, DeviceRule(False, "c", 1, 3, "rwm")])
    assert not allows_everything([allow_all, DeviceRule(allow=False)])
    assert not allows_everything([DeviceRule(allow=True, access="rw")])


def test_kernel_memory_is_ignored_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    Logger.use(Log())  # warnings to stderr
    res = parse_resources({"memory": {"kernel": 1 << 20, "kernelTCP": 1}})
    assert res.memory == Memory()
    assert "kernel" in capsys.readouterr().err
