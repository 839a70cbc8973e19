"""hostname, hosts and resolv.conf in Docker's formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import etcfiles
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults


def test_hosts_default_lines_extra_hosts_and_own_address() -> None:
    text = etcfiles.hosts_content(
        hostname="web",
        domainname="example.org",
        extra_hosts=["db:10.0.0.5", "v6=[::2]"],
        ips=["172.17.0.2"],
    )
    assert text.splitlines() == [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::\tip6-localnet",
        "ff00::\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
        "10.0.0.5\tdb",
        "::2\tv6",
        "172.17.0.2\tweb.example.org web",
    ]


def test_extra_host_validation() -> None:
    with pytest.raises(errdefs.InvalidArgument, match='bad format for add-host: "nohost"'):
        etcfiles.split_extra_host("nohost")
    with pytest.raises(errdefs.InvalidArgument, match=r'invalid IP address in add-host: "x\.y"'):
        etcfiles.split_extra_host("h:x.y")
    assert etcfiles.split_extra_host("gw:host-gateway") == ("gw", "host-gateway")


HOST = (
    "# comment\nnameserver 127.0.0.1\nnameserver 10.1.1.1\nnameserver ::1\n"
    "search a.example b.example\noptions ndots:2\n"
)


def test_resolv_conf_legacy_network_drops_loopback() -> None:
    text = etcfiles.resolv_conf_content(HOST, source_path="/etc/resolv.conf")
    assert text == (
        f"{etcfiles.HEADER}\n\n"
        "nameserver 10.1.1.1\n"
        "search a.example b.example\n"
        "options ndots:2\n"
        "\n# Based on host file: '/etc/resolv.conf' (legacy)\n"
        "# Overrides: []\n"
        "# Option ndots from: host\n"
    )


def test_resolv_conf_falls_back_to_google_when_only_loopback() -> None:
    text = etcfiles.resolv_conf_content("nameserver 127.0.0.53\n", source_path="/etc/resolv.conf")
    assert "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" in text
    assert "# Used default nameservers.\n" in text


def test_resolv_conf_overrides_and_host_network() -> None:
    text = etcfiles.resolv_conf_content(
        HOST, source_path="/etc/resolv.conf", dns=["127.0.0.11"], dns_search=["x.example"],
        dns_options=["timeout:1"],
    )  # fmt: skip
    assert "nameserver 127.0.0.11\nsearch x.example\noptions timeout:1\n" in text
    assert "# Overrides: [nameservers search options]\n" in text
    host = etcfiles.resolv_conf_content(HOST, source_path="/etc/resolv.conf", legacy=False)
    assert "nameserver 127.0.0.1\n" in host and "(legacy)" not in host


def test_write_etc_files(tmp_path: Path) -> None:
    c = Container(
        id="c" * 64, name="n", created="", image_id="", data_dir=str(tmp_path / "data"),
        exec_dir=str(tmp_path / "exec"),
        config={"Hostname": "cccccccccccc"},
        host_config={"ExtraHosts": ["db:10.0.0.5"], "Dns": ["9.9.9.9"]},
    )  # fmt: skip
    etcfiles.write_etc_files(c, defaults=Defaults(), host_network=False)
    assert Path(c.hostname_path).read_text() == "cccccccccccc\n"
    assert "10.0.0.5\tdb\n" in Path(c.hosts_path).read_text()
    assert "nameserver 9.9.9.9\n" in Path(c.resolv_conf_path).read_text()
    assert Path(c.resolv_conf_path + ".hash").read_text().startswith("sha256:")
