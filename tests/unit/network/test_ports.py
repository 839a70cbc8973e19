"""PortBindings and -P to bindings; the reserved host port and Docker's error."""

from __future__ import annotations

import socket

import pytest

from dockyard import errdefs
from dockyard.network.ports import Binding, Reservations, ports_doc, requested


def test_bindings_ranges_and_publish_all() -> None:
    got = requested(
        {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8000-8010"}], "53/udp": None},
        publish_all=True, exposed={"80/tcp": {}, "443/tcp": {}},
    )  # fmt: skip
    assert [(b.container_port, b.proto, b.host_ip, b.host_start, b.host_end) for b in got] == [
        (80, "tcp", "127.0.0.1", 8000, 8010), (53, "udp", "", 0, 0), (443, "tcp", "", 0, 0),
    ]  # fmt: skip


def _binds(host_port: str, cport: int = 80) -> list[Binding]:
    return requested({f"{cport}/tcp": [{"HostIp": "127.0.0.1", "HostPort": host_port}]},
                     publish_all=False, exposed=None)  # fmt: skip


def _free_run(n: int) -> int:
    """The first of `n` consecutive ports free on 127.0.0.1 (TCP)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + n > 65535:
            continue
        socks = []
        try:
            for p in range(first, first + n):
                t = socket.socket()
                socks.append(t)
                t.bind(("127.0.0.1", p))
            return first
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise AssertionError("no run of free ports")


def test_port_of_another_process_fails_with_the_bind_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        res = Reservations()
        with pytest.raises(errdefs.Unknown) as err:
            res.reserve("c", "web", "e", _binds(str(port)), "172.18.0.2")
        assert str(err.value) == (
            "driver failed programming external connectivity on endpoint web (e): failed to "
            f"bind host port for 127.0.0.1:{port}:172.18.0.2:80/tcp: address already in use"
        )
        free = requested({"80/tcp": [{}]}, publish_all=False, exposed=None)
        rules, doc = res.reserve("c", "web", "e", free, "172.18.0.2")
        assert rules[0].host_port > 0 and doc == ports_doc(rules)
        assert doc["80/tcp"][0]["HostIp"] == "0.0.0.0"
        res.close()


def test_port_of_another_container_is_already_allocated() -> None:
    port = _free_run(1)
    res = Reservations()
    try:
        res.reserve("c1", "one", "e1", _binds(str(port)), "172.18.0.2")
        with pytest.raises(errdefs.Unknown, match=f"Bind for 127.0.0.1:{port} failed: port is "
                           "already allocated"):  # fmt: skip
            res.reserve("c2", "two", "e2", _binds(str(port)), "172.18.0.3")
        every = requested({"80/tcp": [{"HostPort": str(port)}]}, publish_all=False, exposed=None)
        with pytest.raises(errdefs.Unknown, match=f"Bind for 127.0.0.1:{port} failed"):
            res.reserve("c2", "two", "e2", every, "172.18.0.3")  # 0.0.0.0 overlaps it
        res.release("c1")
        res.reserve("c2", "two", "e2", _binds(str(port)), "172.18.0.3")
    finally:
        res.close()


def test_a_range_skips_taken_ports_and_says_when_none_is_left() -> None:
    first = _free_run(3)
    spec = f"{first}-{first + 2}"
    res = Reservations()
    with socket.socket() as foreign:
        foreign.bind(("127.0.0.1", first))  # another process: tried, fails, skipped
        try:
            (a,), _ = res.reserve("c1", "one", "e1", _binds(spec), "172.18.0.2")
            assert a.host_port == first + 1
            (b,), doc = res.reserve("c2", "two", "e2", _binds(spec), "172.18.0.3")
            assert b.host_port == first + 2 and doc["80/tcp"][0]["HostPort"] == str(first + 2)
            with pytest.raises(errdefs.Unknown) as err:
                res.reserve("c3", "three", "e3", _binds(spec), "172.18.0.4")
            assert str(err.value).endswith(
                f"failed to bind host port {first} for 127.0.0.1:{spec}:172.18.0.4:80/tcp: "
                "address already in use"
            )
        finally:
            foreign.close()
        with pytest.raises(errdefs.Unknown, match="all ports are allocated"):
            res.reserve("c3", "three", "e3", _binds(f"{first + 1}-{first + 2}"), "172.18.0.4")
        # the search resumes after the range's last port tried (moby's allocator): `first`
        # failed last, so the port c1 gives back comes before it
        res.release("c1")
        (c,), _ = res.reserve("c3", "three", "e3", _binds(spec), "172.18.0.4")
        assert c.host_port == first + 1
        res.close()


def test_one_request_does_not_take_a_port_twice() -> None:
    first = _free_run(2)
    binds = _binds(f"{first}-{first + 1}", 80) + _binds(f"{first}-{first + 1}", 81)
    res = Reservations()
    rules, _ = res.reserve("c", "web", "e", binds, "172.18.0.2")
    assert sorted(r.host_port for r in rules) == [first, first + 1]
    res.close()
