"""Sandboxes and the bridge driver's kernel side: a netns bound at a path, a bridge, a veth
moved in and configured, traffic to the gateway, and nothing left afterwards."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest

from dockyard.network import netlink, sandbox

pytestmark = [pytest.mark.root, pytest.mark.integration]


def test_sandbox_joined_to_a_bridge_reaches_its_gateway(tmp_path: Path) -> None:
    path = str(tmp_path / "netns" / "c1")
    bridge = f"dyt{secrets.token_hex(4)}"
    host = ""
    try:
        sandbox.create(path)
        assert sandbox.exists(path)
        netlink.ensure_bridge(bridge, address="10.251.77.1", prefixlen=24)
        host, temp = netlink.add_veth(bridge=bridge, netns=path, mtu=1500)
        netlink.configure(
            netns=path, temp=temp, ifname="eth0", mac="02:42:0a:fb:4d:02",
            address="10.251.77.2", prefixlen=24, gateway="10.251.77.1", mtu=1500,
        )  # fmt: skip
        out = subprocess.run(["nsenter", f"--net={path}", "ip", "-o", "addr", "show", "eth0"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert "10.251.77.2/24" in out
        ping = subprocess.run(["nsenter", f"--net={path}", "/bin/busybox", "ping", "-c1", "-W2",
                               "10.251.77.1"], capture_output=True, text=True)  # fmt: skip
        assert ping.returncode == 0, ping.stdout + ping.stderr
    finally:
        if host:
            netlink.delete_link(host)
        netlink.delete_link(bridge)
        sandbox.remove(path)
    assert not os.path.exists(path)
    assert not netlink.link_exists(bridge)
