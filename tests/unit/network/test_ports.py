"""PortBindings and -P to bindings; the reserved host port and Docker's error."""

from __future__ import annotations

import socket

import pytest

from dockyard import errdefs
from dockyard.network.ports import Reservations, ports_doc, requested


def test_bindings_ranges_and_publish_all() -> None:
    got = requested(
        {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000-8010"}], "53/udp": None},
        publish_all=True, exposed={"80/tcp": {}, "443/tcp": {}},
    )  # fmt: skip
    assert [(b.container_port, b.proto, b.host_ip, b.host_start, b.host_end) for b in got] == [
        (80, "tcp", "127.0.0.1", 8000, 8010), (53, "udp", "", 0, 0), (443, "tcp", "", 0, 0),
    ]  # fmt: skip


def test_taken_port_is_already_allocated() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        res = Reservations()
        binds = requested({"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]},
                          publish_all=False, exposed=None)  # fmt: skip
        with pytest.raises(errdefs.Unknown, match="port is already allocated"):
            res.reserve("c", "web", "e", binds, "172.18.0.2")
        free = requested({"80/tcp": [{}]}, publish_all=False, exposed=None)
        rules, doc = res.reserve("c", "web", "e", free, "172.18.0.2")
        assert rules[0].host_port > 0 and doc == ports_doc(rules)
        assert doc["80/tcp"][0]["HostIp"] == "0.0.0.0"
        res.close()
