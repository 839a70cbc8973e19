"""The small parsers under the container flags, against docker's documented behaviour."""

from __future__ import annotations

import pytest

from dockyard.cli.hijackio import EscapeMatcher, detach_key_bytes
from dockyard.cli.opts import kv, mounts, ports, units, validate


@pytest.mark.parametrize(
    ("text", "value"),
    [("100", 100), ("1k", 1024), ("64m", 64 << 20), ("1.5GiB", int(1.5 * (1 << 30))),
     ("512 kb", 512 << 10), ("10b", 10), ("1T", 1 << 40)],
)  # fmt: skip
def test_ram_in_bytes(text: str, value: int) -> None:
    assert units.ram_in_bytes(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [("x", "invalid size: 'x'"), ("1q", "invalid suffix: 'q'"), ("1kbb", "invalid suffix: 'kbb'"),
     ("-1", "invalid size: '-1'")],
)  # fmt: skip
def test_ram_in_bytes_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        units.ram_in_bytes(text)


def test_memory_swap_minus_one_is_unlimited() -> None:
    assert units.mem_swap_bytes("-1") == -1


def test_nano_cpus_rational() -> None:
    assert units.nano_cpus("1.5") == 1_500_000_000
    assert units.nano_cpus("3/2") == 1_500_000_000
    with pytest.raises(ValueError, match="as a rational number"):
        units.nano_cpus("abc")


@pytest.mark.parametrize(
    ("text", "ns"),
    [("0", 0), ("1s", 10**9), ("1m30s", 90 * 10**9), ("1.5h", 5400 * 10**9), ("300ms", 3 * 10**8),
     ("-2s", -2 * 10**9), ("10us", 10_000)],
)  # fmt: skip
def test_go_durations(text: str, ns: int) -> None:
    assert units.duration_ns(text) == ns


def test_go_duration_errors() -> None:
    with pytest.raises(ValueError, match='time: unknown unit "x" in duration "5x"'):
        units.duration_ns("5x")
    with pytest.raises(ValueError, match='time: missing unit in duration "5"'):
        units.duration_ns("5")


def test_kv_file_parser_rules() -> None:
    text = b"\xef\xbb\xbf# c\n\n  A=1\nHOME\nMISSING\nB==x\n"
    assert kv.parse_kv_text(text, {"HOME": "/root"}.get) == ["A=1", "HOME=/root", "B==x"]
    assert kv.parse_kv_text(text, None) == ["A=1", "B==x"]
    with pytest.raises(ValueError, match="no variable name on line '=x'"):
        kv.parse_kv_text(b"=x\n", None)
    with pytest.raises(ValueError, match="invalid utf8 bytes at line 1"):
        kv.parse_kv_text(b"A=\xff\n", None)


def test_validate_env_and_label() -> None:
    assert kv.validate_env("A", {"A": "1"}) == "A=1"
    assert kv.validate_env("A=", {"A": "1"}) == "A="
    with pytest.raises(ValueError, match="label 'a b' contains whitespaces"):
        kv.validate_label("a b=c")


def test_port_spec_random_host_port_and_ipv6() -> None:
    assert ports.parse_port_spec("80") == [("80/tcp", {"HostIp": "", "HostPort": ""})]
    assert ports.parse_port_spec("[2001:db8::1]:8080:80/sctp") == [
        ("80/sctp", {"HostIp": "2001:db8::1", "HostPort": "8080"})
    ]
    assert ports.parse_port_spec("::1:80:80") == [("80/tcp", {"HostIp": "::1", "HostPort": "80"})]


def test_expose_ranges() -> None:
    exposed: dict[str, dict[str, object]] = {}
    ports.parse_expose(["7000-7002/udp", "80"], exposed)
    assert list(exposed) == ["7000/udp", "7001/udp", "7002/udp", "80/tcp"]
    with pytest.raises(ValueError, match="invalid range format for --expose: 9-1"):
        ports.parse_expose(["9-1"], {})


def test_volume_spec_types() -> None:
    assert mounts.parse_volume("/data")["Type"] == "volume"
    assert mounts.parse_volume("name:/data")["Type"] == "volume"
    assert mounts.parse_volume("/h:/c:ro")["ReadOnly"] is True
    assert mounts.parse_volume("./h:/c")["Type"] == "bind"
    assert mounts.parse_volume("c:/x:/y")["Source"] == "c:/x"  # a Windows drive, as docker reads it


def test_device_validation_and_mapping() -> None:
    assert mounts.validate_device("/dev/sda:/dev/xvda/../xvdb") == "/dev/sda:/dev/xvdb"
    assert mounts.parse_device("/dev/sda:rw") == {
        "PathOnHost": "/dev/sda",
        "PathInContainer": "/dev/sda",
        "CgroupPermissions": "rw",
    }
    with pytest.raises(ValueError, match="bad format for path: a:b:c:d"):
        mounts.validate_device("a:b:c:d")
    assert mounts.is_cdi_name("nvidia.com/gpu=all")
    assert not mounts.is_cdi_name("/dev/null")


def test_ulimit_unlimited() -> None:
    assert validate.parse_ulimit("memlock=-1") == {"Name": "memlock", "Hard": -1, "Soft": -1}
    assert validate.parse_ulimit("nofile=10:-1") == {"Name": "nofile", "Hard": -1, "Soft": 10}


def test_extra_hosts_and_dns_search() -> None:
    assert validate.validate_extra_host("h=[::1]") == "h:::1"
    assert validate.validate_extra_host("gw:host-gateway") == "gw:host-gateway"
    assert validate.validate_dns_search("example.com.") == "example.com"
    assert validate.validate_dns_search(".") == "."


def test_restart_policy_and_capabilities() -> None:
    assert validate.parse_restart_policy("unless-stopped") == {
        "Name": "unless-stopped",
        "MaximumRetryCount": 0,
    }
    assert validate.normalize_capability(" sys_admin ") == "CAP_SYS_ADMIN"
    assert validate.normalize_capability("all") == "ALL"


def test_network_csv() -> None:
    assert validate.parse_network("name=n1,alias=a,alias=b,driver-opt=k=v,gw-priority=5") == {
        "Target": "n1",
        "Aliases": ["a", "b"],
        "DriverOpts": {"k": "v"},
        "GwPriority": 5,
    }
    with pytest.raises(ValueError, match="network name/id is not specified"):
        validate.parse_network("alias=a")


def test_detach_keys_parsing() -> None:
    assert detach_key_bytes("ctrl-p,ctrl-q") == b"\x10\x11"
    assert detach_key_bytes("a,ctrl-@,ctrl-_") == b"a\x00\x1f"
    with pytest.raises(ValueError, match="Unknown character: 'ctrl-1'"):
        detach_key_bytes("ctrl-1")


def test_escape_matcher_holds_prefix_and_detaches() -> None:
    m = EscapeMatcher(b"\x10\x11")
    assert m.feed(b"ab\x10") == (b"ab", False)
    assert m.feed(b"\x11rest") == (b"", True)
    m = EscapeMatcher(b"\x10\x11")
    assert m.feed(b"\x10") == (b"", False)
    assert m.feed(b"x") == (b"\x10x", False)  # a broken sequence is passed on
    assert m.feed(b"\x10\x10\x11") == (b"\x10", True)
    assert EscapeMatcher(b"").feed(b"\x10\x11") == (b"\x10\x11", False)
