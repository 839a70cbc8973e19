"""Networks through the real docker CLI against dockyardd (issue 6): the seed's walkthrough,
name resolution, isolation, two networks, published ports (TCP from the host and from an
outside namespace, UDP, -P, a taken port), --internal, resolv.conf options, network rm and
prune, live restore and the clean stop.

Traffic stays on loopback, the daemon's bridges and a veth pair to a namespace made here;
everything made here is removed, even on failure."""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import Engine, PrivateDaemon, wait_for
from tests.support.dockerd import Docker
from tests.support.dockyardd import docker_clis

pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(240, method="signal")]

IMAGE = "busybox:latest"
LABEL = "dockyard.test=compat-networks"


def _cli() -> str:
    clis = docker_clis()
    return "/usr/local/bin/docker" if "/usr/local/bin/docker" in clis else clis[0]


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("0.0.0.0", 0))
        return int(s.getsockname()[1])


class Net:
    """The CLI plus cleanup of the containers and networks a test makes."""

    def __init__(self, docker: Docker) -> None:
        self.docker = docker
        self.networks: list[str] = []
        self.tag = secrets.token_hex(3)

    def network(self, name: str, *args: str) -> str:
        full = f"{name}-{self.tag}"
        self.docker("network", "create", *args, full)
        self.networks.append(full)
        return full

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.docker("run", "--label", LABEL, *args, check=check)

    def cleanup(self) -> None:
        ids = self.docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False, timeout=120)
        for n in self.networks:
            self.docker("network", "rm", n, check=False)


@pytest.fixture
def net(engine: Engine) -> Iterator[Net]:
    n = Net(engine.docker(_cli()))
    try:
        yield n
    finally:
        n.cleanup()


def _http(url: str, timeout: float = 5) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as r:
        return str(r.read().decode())


def _httpd(net: Net, name: str, *args: str) -> None:
    script = f"mkdir /www && echo hello-{name} > /www/index.html && exec httpd -f -h /www"
    net.run("-d", "--name", name, *args, IMAGE, "sh", "-c", script)


def test_seed_walkthrough(net: Net) -> None:
    localnet = net.network("localnet")
    c1 = f"c1-{net.tag}"
    net.run("-d", "--name", c1, "--network", localnet, IMAGE, "sleep", "300")
    out = net.run("--rm", "--network", localnet, IMAGE, "ping", "-c1", "-W3", c1).stdout
    assert "1 packets received" in out
    port = _free_port()  # the seed's 5000, unless something on this host holds it
    web = f"web-{net.tag}"
    _httpd(net, web, "-p", f"{port}:80")
    assert net.docker("port", web).stdout.strip().splitlines()[0] == f"80/tcp -> 0.0.0.0:{port}"
    assert wait_for(lambda: _try_http(f"http://127.0.0.1:{port}/") == f"hello-{web}\n")
    ps = net.docker("ps", "--filter", f"name={web}", "--format", "{{.Ports}}").stdout
    assert f"0.0.0.0:{port}->80/tcp" in ps


def _try_http(url: str) -> str:
    try:
        return _http(url, timeout=2)
    except OSError:
        return ""


def test_aliases_resolve_and_inspect_lists_containers(net: Net) -> None:
    n = net.network("alias")
    a = f"a-{net.tag}"
    net.run("-d", "--name", a, "--network", n, "--network-alias", "svc", IMAGE, "sleep", "300")
    out = net.run("--rm", "--network", n, IMAGE, "sh", "-c",
                  "ping -c1 -W3 svc && cat /etc/resolv.conf").stdout  # fmt: skip
    assert "1 packets received" in out and "nameserver 127.0.0.11" in out
    doc = json.loads(net.docker("network", "inspect", n).stdout)[0]
    (entry,) = doc["Containers"].values()
    assert entry["Name"] == a and entry["IPv4Address"].endswith("/16")
    assert entry["MacAddress"].startswith("02:42:")
    refused = net.docker("network", "rm", n, check=False)
    assert refused.returncode != 0 and "has active endpoints" in refused.stderr


def test_default_bridge_cannot_resolve_names(net: Net) -> None:
    b = f"b-{net.tag}"
    net.run("-d", "--name", b, IMAGE, "sleep", "300")
    out = net.run("--rm", IMAGE, "sh", "-c", f"ping -c1 -W1 {b}; cat /etc/resolv.conf",
                  check=False)  # fmt: skip
    assert "bad address" in out.stdout + out.stderr
    assert "127.0.0.11" not in out.stdout


def _ip(net: Net, name: str, network: str) -> str:
    return net.docker(
        "inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}', name
    ).stdout.strip()


def test_networks_are_isolated_and_two_networks_reach_both(net: Net) -> None:
    n1, n2 = net.network("iso1"), net.network("iso2")
    x, y = f"x-{net.tag}", f"y-{net.tag}"
    net.run("-d", "--name", x, "--network", n1, IMAGE, "sleep", "300")
    net.run("-d", "--name", y, "--network", n2, IMAGE, "sleep", "300")
    y_ip = _ip(net, y, n2)
    blocked = net.docker("exec", x, "ping", "-c1", "-W1", y_ip, check=False)
    assert blocked.returncode != 0
    both = f"both-{net.tag}"
    net.run("-d", "--name", both, "--network", n1, IMAGE, "sleep", "300")
    net.docker("network", "connect", n2, both)
    out = net.docker("exec", both, "sh", "-c",
                     f"ip -o -4 addr; ping -c1 -W3 {x} && ping -c1 -W3 {y}").stdout  # fmt: skip
    assert "eth1" in out and out.count("1 packets received") == 2
    net.docker("network", "disconnect", n2, both)
    assert "eth1" not in net.docker("exec", both, "ip", "-o", "link").stdout


def test_internal_network_has_no_outbound_route(net: Net) -> None:
    n = net.network("internal", "--internal")
    out = net.run("--rm", "--network", n, IMAGE, "ip", "route").stdout
    assert "default" not in out and "dev eth0" in out


def test_dns_options_land_in_resolv_conf(net: Net) -> None:
    out = net.run("--rm", "--dns", "192.0.2.53", "--dns-search", "example.test",
                  "--dns-option", "ndots:2", IMAGE, "cat", "/etc/resolv.conf").stdout  # fmt: skip
    assert "nameserver 192.0.2.53" in out
    assert "search example.test" in out and "options ndots:2" in out


def test_ip_hostname_mac_and_add_host(net: Net) -> None:
    n = net.network("fixed", "--subnet", "10.213.7.0/24", "--ip-range", "10.213.7.128/25")
    out = net.run("--rm", "--network", n, "--ip", "10.213.7.9", "--hostname", "box",
                  "--mac-address", "02:42:0a:d5:07:63", "--add-host", "extra:192.0.2.7",
                  IMAGE, "sh", "-c", "ip -o addr show eth0; ip -o link show eth0; "
                  "cat /etc/hosts /etc/hostname").stdout  # fmt: skip
    assert "10.213.7.9/24" in out and "02:42:0a:d5:07:63" in out
    assert "192.0.2.7\textra" in out and "10.213.7.9\tbox" in out
    auto = net.run("--rm", "--network", n, IMAGE, "ip", "-o", "-4", "addr", "show", "eth0")
    assert "10.213.7.128/24" in auto.stdout or "10.213.7.129/24" in auto.stdout


def test_port_already_allocated(net: Net) -> None:
    port = _free_port()
    _httpd(net, f"p1-{net.tag}", "-p", f"{port}:80")
    second = net.run("-d", "--name", f"p2-{net.tag}", "-p", f"{port}:80", IMAGE, "true",
                     check=False)  # fmt: skip
    assert second.returncode != 0
    assert f"Bind for 0.0.0.0:{port} failed: port is already allocated" in second.stderr


def test_publish_all_and_udp(net: Net) -> None:
    name = f"all-{net.tag}"
    _httpd(net, name, "--expose", "80", "-P")
    line = net.docker("port", name, "80").stdout.strip().splitlines()[0]
    port = int(line.rsplit(":", 1)[1])
    assert wait_for(lambda: _try_http(f"http://127.0.0.1:{port}/") == f"hello-{name}\n")
    # busybox's nc has no -u: the host's python3 (the image's / plus the host's /usr) echoes
    uport = _free_port(socket.SOCK_DGRAM)
    echo = (
        "import socket;s=socket.socket(2,2);s.bind(('',9999))\n"
        "while 1:\n d,a=s.recvfrom(99);s.sendto(d.upper(),a)"
    )
    net.run("-d", "-p", f"{uport}:9999/udp", "-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro",
            "-v", "/lib64:/lib64:ro", IMAGE, "/usr/bin/python3", "-c", echo)  # fmt: skip
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)

        def echoed() -> bool:
            s.sendto(b"ping-udp", ("127.0.0.1", uport))
            try:
                return s.recvfrom(99)[0] == b"PING-UDP"
            except OSError:
                return False

        assert wait_for(echoed, timeout=10, step=0.3)


@pytest.fixture
def outside() -> Iterator[tuple[str, str]]:
    """A namespace acting as another host: a veth pair with a /30 of its own. Yields
    (namespace name, the host side's address)."""
    taken = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    subnet = next(
        s
        for s in ipaddress.ip_network("10.252.0.0/16").subnets(new_prefix=30)
        if str(s.network_address) not in taken
    )
    host_ip, ns_ip = (str(a) for a in subnet.hosts())
    tag = secrets.token_hex(3)
    ns, veth = f"dyt-out-{tag}", f"dyto{tag}"
    cmds = [
        ["ip", "netns", "add", ns],
        ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["ip", "addr", "add", f"{host_ip}/30", "dev", veth],
        ["ip", "link", "set", veth, "up"],
        ["ip", "-n", ns, "addr", "add", f"{ns_ip}/30", "dev", "eth0"],
        ["ip", "-n", ns, "link", "set", "eth0", "up"],
        ["ip", "-n", ns, "link", "set", "lo", "up"],
    ]
    try:
        for c in cmds:
            subprocess.run(c, check=True, capture_output=True)
        yield ns, host_ip
    finally:
        subprocess.run(["ip", "link", "del", veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_published_port_answers_an_outside_client(net: Net, outside: tuple[str, str]) -> None:
    ns, host_ip = outside
    port = _free_port()
    name = f"out-{net.tag}"
    _httpd(net, name, "-p", f"{port}:80")
    fetch = (
        "import sys, urllib.request; "
        "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())"
    )

    def fetched() -> bool:
        argv = ["ip", "netns", "exec", ns, sys.executable, "-c", fetch, f"http://{host_ip}:{port}/"]
        p = subprocess.run(argv, capture_output=True, text=True)
        return p.stdout == f"hello-{name}\n"

    assert wait_for(fetched, timeout=15, step=0.5)


def test_network_ls_filters_and_prune(net: Net) -> None:
    n = net.network("pruned", "--label", "dytest=1")
    ls = net.docker("network", "ls", "--filter", "label=dytest=1", "--format", "{{.Name}}")
    assert ls.stdout.split() == [n]
    builtin = net.docker("network", "ls", "--filter", "type=builtin", "--format", "{{.Name}}")
    assert sorted(builtin.stdout.split()) == ["bridge", "host", "none"]
    out = net.docker("network", "prune", "-f", "--filter", "label=dytest=1").stdout
    assert n in out
    assert net.docker("network", "inspect", n, check=False).returncode != 0
    refused = net.docker("network", "rm", "bridge", check=False)
    assert "pre-defined network and cannot be removed" in refused.stderr


def _ip_of(docker: Docker, name: str, network: str) -> str:
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return docker("inspect", "-f", fmt, name).stdout.strip()


def _nft_tables() -> str:
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


def _links() -> str:
    return subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout


def test_live_restore_keeps_networking_and_clean_stop_cleans(private_daemon: PrivateDaemon) -> None:
    with private_daemon() as d:
        docker = d.docker(_cli())
        docker("network", "create", "lr")
        docker("run", "-d", "--name", "srv", "--network", "lr", "--network-alias", "api", IMAGE,
               "sleep", "300")  # fmt: skip
        port = _free_port()
        docker("run", "-d", "--name", "web", "-p", f"{port}:80", IMAGE, "sh", "-c",
               "mkdir /www && echo lr > /www/index.html && exec httpd -f -h /www")  # fmt: skip
        assert wait_for(lambda: _try_http(f"http://127.0.0.1:{port}/") == "lr\n")
        bridge_id = json.loads(docker("network", "inspect", "lr").stdout)[0]["Id"][:12]
        d.restart(kill9=True)
        out = docker("run", "--rm", "--network", "lr", IMAGE, "ping", "-c1", "-W3", "api").stdout
        assert "1 packets received" in out
        # the resolver of a container that ran through the restart answers again
        out = docker("exec", "srv", "nslookup", "api", "127.0.0.11").stdout
        assert f"Address: {_ip_of(docker, 'srv', 'lr')}" in out, out
        assert _try_http(f"http://127.0.0.1:{port}/") == "lr\n"
        taken = docker("run", "--rm", "-p", f"{port}:80", IMAGE, "true", check=False)
        assert "port is already allocated" in taken.stderr
        docker("rm", "-f", "srv", "web")
        docker("network", "rm", "lr")
        assert f"br-{bridge_id}" not in _links()
        tables_before = _nft_tables()
        assert "dockyard-" in tables_before
        d.stop()
        assert wait_for(lambda: _nft_tables() != tables_before, timeout=5)


def test_network_container_mode_shares_the_namespace_and_etc_files(net: Net) -> None:
    n = net.network("shared")
    owner = f"owner-{net.tag}"
    net.run("-d", "--name", owner, "--network", n, "--hostname", "ownerhost", IMAGE,
            "sleep", "300")  # fmt: skip
    owner_id = net.docker("inspect", "-f", "{{.Id}}", owner).stdout.strip()
    out = net.run("--rm", "--network", f"container:{owner}", IMAGE, "sh", "-c",
                  "hostname; cat /etc/resolv.conf; ip -o -4 addr show eth0").stdout  # fmt: skip
    assert out.splitlines()[0] == "ownerhost"
    assert "nameserver 127.0.0.11" in out and f"{_ip(net, owner, n)}/" in out
    guest = f"guest-{net.tag}"
    net.run("-d", "--name", guest, "--network", f"container:{owner}", IMAGE, "sleep", "300")
    fmt = "{{.HostConfig.NetworkMode}} {{json .NetworkSettings.Networks}} {{.HostsPath}}"
    mode, networks, hosts = net.docker("inspect", "-f", fmt, guest).stdout.split()
    assert mode == f"container:{owner_id}" and networks == "{}"
    assert hosts == net.docker("inspect", "-f", "{{.HostsPath}}", owner).stdout.strip()
    refused = net.docker("network", "connect", n, guest, check=False)
    assert "container sharing network namespace with another container" in refused.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["-p", "8080:80"], "port publishing and the container type network mode"),
        (["-P"], "port publishing and the container type network mode"),
        (["--expose", "80"], "port exposing and the container type network mode"),
        (["--dns", "192.0.2.53"], "dns and the network mode"),
        (["--hostname", "x"], "hostname and the network mode"),
        (["--mac-address", "02:42:ac:11:00:09"], "mac-address and the network mode"),
        (["--add-host", "x:192.0.2.7"], "custom host-to-IP mapping and the network mode"),
    ],
)
def test_network_container_mode_conflicts(net: Net, option: list[str], message: str) -> None:
    owner = f"cfl-{net.tag}"
    net.run("-d", "--name", owner, IMAGE, "sleep", "300")
    out = net.run("--rm", "--network", f"container:{owner}", *option, IMAGE, "true",
                  check=False)  # fmt: skip
    assert out.returncode == 125 and f"conflicting options: {message}" in out.stderr


def test_network_container_mode_needs_a_running_container(net: Net) -> None:
    stopped = f"stopped-{net.tag}"
    cid = net.docker("create", "--label", LABEL, "--name", stopped, IMAGE, "true").stdout.strip()
    out = net.run("--rm", "--network", f"container:{stopped}", IMAGE, "true", check=False)
    assert f"cannot join network of a non running container: {cid}" in out.stderr
    missing = net.run("--rm", "--network", "container:nosuch-x", IMAGE, "true", check=False)
    assert "No such container: nosuch-x" in missing.stderr


@pytest.fixture
def parent() -> Iterator[str]:
    """A macvlan parent made here: one end of a veth pair in the host namespace (up, no
    address), the other end up in a namespace of its own so the pair has carrier. Nothing
    of the host's is used; both go at the end."""
    tag = secrets.token_hex(3)
    ns, veth = f"dyt-mv-{tag}", f"dyp{tag}"
    cmds = [
        ["ip", "netns", "add", ns],
        ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["ip", "link", "set", veth, "up"],
        ["ip", "-n", ns, "link", "set", "eth0", "up"],
    ]
    try:
        for c in cmds:
            subprocess.run(c, check=True, capture_output=True)
        yield veth
    finally:
        subprocess.run(["ip", "link", "del", veth], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_macvlan_with_two_subnets_on_a_veth_parent(net: Net, parent: str) -> None:
    n = net.network("mv", "-d", "macvlan", "-o", f"parent={parent}",
                    "--subnet", "10.214.60.0/24", "--gateway", "10.214.60.254",
                    "--ip-range", "10.214.60.0/31",
                    "--subnet", "10.214.61.0/24", "--gateway", "10.214.61.254",
                    "--ip-range", "10.214.61.0/31")  # fmt: skip
    m1, m2, m3 = (f"m{i}-{net.tag}" for i in (1, 2, 3))
    net.run("-d", "--name", m1, "--network", n, IMAGE, "sleep", "300")
    net.run("-d", "--name", m2, "--network", n, IMAGE, "sleep", "300")
    # Each range has one address: the second endpoint comes from the other pool. (The docker
    # CLI sends the IPAM configs in Go map order, so which pool is first varies.)
    assert {_ip(net, m1, n), _ip(net, m2, n)} == {"10.214.60.1", "10.214.61.1"}
    full = net.run("-d", "--network", n, IMAGE, "sleep", "300", check=False)
    assert full.returncode != 0 and "no available IPv4 addresses" in full.stderr, full.stderr
    same_subnet = _ip(net, m1, n).rsplit(".", 1)[0] + ".9"  # macvlan peers: no router here
    net.run("-d", "--name", m3, "--network", n, "--ip", same_subnet, IMAGE, "sleep", "300")
    out = net.docker("exec", m3, "sh", "-c", f"ip -o link show eth0; ping -c1 -W3 {m1}").stdout
    assert "macvlan" in out or "@" in out
    assert "1 packets received" in out
    doc = json.loads(net.docker("network", "inspect", n).stdout)[0]
    assert sorted(c["Subnet"] for c in doc["IPAM"]["Config"]) == [
        "10.214.60.0/24", "10.214.61.0/24",
    ]  # fmt: skip
    assert doc["Options"] == {"parent": parent} and len(doc["Containers"]) == 3


def test_macvlan_vlan_parent_and_ipvlan_fail_with_one_clear_line(net: Net, parent: str) -> None:
    vlan = net.docker("network", "create", "-d", "macvlan", "-o", f"parent={parent}.100",
                      "--subnet", "10.214.62.0/24", f"vl-{net.tag}", check=False)  # fmt: skip
    assert vlan.returncode != 0
    assert f"failed to create {parent}.100 vlan link: " in vlan.stderr
    assert "802.1q" in vlan.stderr and len(vlan.stderr.strip().splitlines()) == 1
    assert f"{parent}.100" not in _links()
    missing = net.docker("network", "create", "-d", "macvlan", "-o", "parent=dynope0",
                         f"mm-{net.tag}", check=False)  # fmt: skip
    assert "-o parent interface does was not found on the host: dynope0" in missing.stderr
    ipvlan = net.docker("network", "create", "-d", "ipvlan", "-o", f"parent={parent}",
                        f"iv-{net.tag}", check=False)  # fmt: skip
    assert ipvlan.returncode != 0 and "no ipvlan support" in ipvlan.stderr
    assert len(ipvlan.stderr.strip().splitlines()) == 1


def test_bridge_takes_one_subnet_per_family(net: Net) -> None:
    two = net.docker("network", "create", "--subnet", "10.214.63.0/24", "--subnet",
                     "10.214.64.0/24", f"two-{net.tag}", check=False)  # fmt: skip
    assert "bridge driver doesn't support multiple subnets" in two.stderr
    no_v6 = net.docker("network", "create", "--ipv6", f"nov6-{net.tag}", check=False)
    assert "non-overlapping IPv6 address pool" in no_v6.stderr


def test_ipv6_bridge_addresses_and_aaaa_answers(net: Net) -> None:
    prefix = f"fd00:d0c:{secrets.token_hex(2)}:"
    n = net.network("v6", "--ipv6", "--subnet", f"{prefix}:/64")
    doc = json.loads(net.docker("network", "inspect", n).stdout)[0]
    assert doc["EnableIPv6"] and doc["IPAM"]["Config"][1]["Subnet"] == f"{prefix}:/64"
    bridge = f"br-{doc['Id'][:12]}"
    host = subprocess.run(["ip", "-6", "-o", "addr", "show", "dev", bridge],
                          capture_output=True, text=True).stdout  # fmt: skip
    assert f"{prefix}:1/64" in host
    v6a = f"v6a-{net.tag}"
    net.run("-d", "--name", v6a, "--network", n, IMAGE, "sleep", "300")
    fmt = f'{{{{(index .NetworkSettings.Networks "{n}").GlobalIPv6Address}}}}'
    address = net.docker("inspect", "-f", fmt, v6a).stdout.strip()
    assert address == f"{prefix}:2"
    out = net.run("--rm", "--network", n, IMAGE, "sh", "-c",
                  f"ip -o -6 addr show eth0; nslookup -type=AAAA {v6a} 127.0.0.11; "
                  f"ping -6 -c1 -W3 {v6a}").stdout  # fmt: skip
    assert f"{prefix}:3/64" in out and f"Address: {address}" in out
    assert "1 packets received" in out
    (entry,) = json.loads(net.docker("network", "inspect", n).stdout)[0]["Containers"].values()
    assert entry["IPv6Address"] == f"{address}/64"


def test_network_events_since_until_and_info_plugins(net: Net) -> None:
    since = str(int(time.time()) - 1)
    n = net.network("ev")
    ev = f"ev-{net.tag}"
    net.run("--name", ev, "--network", n, IMAGE, "true")
    net.docker("network", "disconnect", n, ev)
    net.docker("rm", ev)
    net.docker("network", "rm", n)
    net.networks.remove(n)
    until = str(int(time.time()) + 1)
    fmt = "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"
    out = net.docker("events", "--since", since, "--until", until, "--filter", "type=network",
                     "--filter", f"network={n}", "--format", fmt).stdout  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == f"network create {n}" and lines[-1] == f"network destroy {n}"
    assert f"network connect {n}" in lines and f"network disconnect {n}" in lines
    plugins = json.loads(net.docker("info", "-f", "{{json .Plugins.Network}}").stdout)
    assert plugins == ["bridge", "host", "macvlan", "null"]


# -- the embedded DNS forwards what it does not own (issue 6: --dns / --dns-search) ---------

# A tiny authoritative server (UDP and TCP) run by the host's python3 inside a container:
# example.test A 10.9.8.7, NXDOMAIN for anything else. Debian's busybox-static has no dnsd.
DNS_SERVER = """
import socket, struct, sys, threading
def answer(q):
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1 : i + 1 + q[i]].decode()); i += 1 + q[i]
    qtype, end = struct.unpack("!H", q[i + 1 : i + 3])[0], i + 5
    name = ".".join(labels).lower()
    known = name == "example.test"
    an = [struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("10.9.8.7")] \
        if known and qtype == 1 else []
    flags = 0x8180 | (0 if known else 3)
    return q[:2] + struct.pack("!HHHHH", flags, 1, len(an), 0, 0) + q[12:end] + b"".join(an)
def tcp():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], 53)); s.listen(8)
    while True:
        c, _ = s.accept()
        with c:
            n = struct.unpack("!H", c.recv(2))[0]; q = b""
            while len(q) < n:
                q += c.recv(n - len(q))
            a = answer(q); c.sendall(struct.pack("!H", len(a)) + a)
threading.Thread(target=tcp, daemon=True).start()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 53))
print("ready", flush=True)
while True:
    q, addr = u.recvfrom(512); u.sendto(answer(q), addr)
"""

# A TCP DNS client for 127.0.0.11, run by nsenter in a container's network namespace
DNS_TCP_QUERY = """
import socket, struct, sys
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in sys.argv[1].split(".")) + b"\\0\\0\\1\\0\\1"
with socket.create_connection(("127.0.0.11", 53), timeout=5) as s:
    s.sendall(struct.pack("!H", len(q)) + q)
    n = struct.unpack("!H", s.recv(2))[0]; r = b""
    while len(r) < n:
        r += s.recv(n - len(r))
print(r[3] & 15, socket.inet_ntoa(r[-4:]) if struct.unpack("!H", r[6:8])[0] else "-")
"""

HOST_PYTHON = ["-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro", "-v", "/lib64:/lib64:ro"]


def _dns_server(net: Net, tmp_path: Path, name: str, *args: str, bind: str = "0.0.0.0") -> None:
    script = tmp_path / "dns_server.py"
    script.write_text(DNS_SERVER)
    net.run("-d", "--name", name, *HOST_PYTHON, "-v", f"{script}:/dns_server.py:ro", *args,
            IMAGE, "/usr/bin/python3", "/dns_server.py", bind)  # fmt: skip
    ready = wait_for(lambda: "ready" in net.docker("logs", name).stdout, timeout=10)
    assert ready, net.docker("logs", name, check=False).stderr


def _nslookup(net: Net, name: str, *args: str) -> str:
    out = net.docker("exec", name, "nslookup", *args, "127.0.0.11", check=False)
    return out.stdout + out.stderr


def test_embedded_dns_forwards_to_the_dns_servers(net: Net, tmp_path: Path) -> None:
    n = net.network("fwd")
    srv, cli = f"dnssrv-{net.tag}", f"dnscli-{net.tag}"
    _dns_server(net, tmp_path, srv, "--network", n)
    srv_ip = _ip(net, srv, n)
    net.run("-d", "--name", cli, "--network", n, "--dns", srv_ip, "--dns-search", "test",
            *HOST_PYTHON, IMAGE, "sleep", "300")  # fmt: skip
    conf = net.docker("exec", cli, "cat", "/etc/resolv.conf").stdout
    assert "nameserver 127.0.0.11" in conf and "search test" in conf
    assert srv_ip not in conf.split("#")[0]  # the --dns server is the resolver's, not libc's
    full = _nslookup(net, cli, "example.test")
    assert "Address: 10.9.8.7" in full, full
    # a short name through the search domain: libc's resolver (busybox nslookup has none)
    short = net.docker("exec", cli, "/usr/bin/python3", "-c",
                       "import socket; print(socket.gethostbyname('example'))")  # fmt: skip
    assert short.stdout.strip() == "10.9.8.7"
    missing = _nslookup(net, cli, "nosuch.test")
    assert "NXDOMAIN" in missing and "10.9.8.7" not in missing, missing
    # names of the network are still the resolver's own, and PTR answers for them
    assert f"Address: {srv_ip}" in _nslookup(net, cli, srv)
    ptr = _nslookup(net, cli, srv_ip)
    assert f"name = {srv}.{n}" in ptr, ptr
    # over TCP too: a client in the container's network namespace, to 127.0.0.11 there
    pid = net.docker("inspect", "-f", "{{.State.Pid}}", cli).stdout.strip()
    for qname, want in (("example.test", "0 10.9.8.7"), (srv, f"0 {srv_ip}"),
                        ("nosuch.test", "3 -")):  # fmt: skip
        tcp = subprocess.run(
            ["nsenter", "-t", pid, "-n", sys.executable, "-c", DNS_TCP_QUERY, qname],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert tcp.stdout.strip() == want, (qname, tcp.stdout, tcp.stderr)


def test_embedded_dns_forwards_from_the_container_namespace(net: Net, tmp_path: Path) -> None:
    """`--dns 127.0.0.1` is the container's own loopback (moby: only the host's resolv.conf
    loopback servers are used from the host's namespace): the resolver must reach a server
    listening there, which the daemon's namespace cannot see."""
    n = net.network("fwdlo")
    own = f"dnsown-{net.tag}"
    _dns_server(net, tmp_path, own, "--network", n, "--dns", "127.0.0.1", bind="127.0.0.1")
    out = _nslookup(net, own, "example.test")
    assert "Address: 10.9.8.7" in out, out


# -- bridge driver options (-o), --attachable, --label ---------------------------------------


def _our_rules(bridge: str) -> list[dict[str, Any]]:
    """The rules of the dockyard nftables table that mentions `bridge` (the daemon's)."""
    doc = json.loads(subprocess.run(["nft", "-j", "list", "ruleset"], capture_output=True,
                                    text=True, check=True).stdout)  # fmt: skip
    rules = [i["rule"] for i in doc["nftables"] if "rule" in i]
    tables = {(r["family"], r["table"]) for r in rules
              if r["table"].startswith("dockyard") and f'"{bridge}"' in json.dumps(r)}  # fmt: skip
    assert len(tables) == 1, tables
    return [r for r in rules if (r["family"], r["table"]) in tables]


def _masquerades(rules: list[dict[str, Any]], subnet: str) -> list[dict[str, Any]]:
    addr, plen = subnet.split("/")
    want = {"prefix": {"addr": addr, "len": int(plen)}}
    return [
        r for r in rules
        if r["chain"] == "postrouting" and any("masquerade" in e for e in r["expr"])
        and any(e.get("match", {}).get("right") == want for e in r["expr"])
    ]  # fmt: skip


def test_bridge_options_name_icc_masquerade_mtu(engine: Engine, net: Net) -> None:
    bridge = f"dyt{net.tag}"
    subnet, plain_subnet = "10.214.70.0/24", "10.214.71.0/24"
    n = net.network(
        "opts", "--subnet", subnet, "--attachable", "--label", "team=net",
        "-o", f"com.docker.network.bridge.name={bridge}",
        "-o", "com.docker.network.bridge.enable_icc=false",
        "-o", "com.docker.network.bridge.enable_ip_masquerade=false",
        "-o", "com.docker.network.driver.mtu=1400",
    )  # fmt: skip
    plain = net.network("plain", "--subnet", plain_subnet)
    doc = json.loads(net.docker("network", "inspect", n).stdout)[0]
    assert doc["Attachable"] is True and doc["Labels"] == {"team": "net"}
    assert doc["Options"]["com.docker.network.bridge.name"] == bridge
    assert doc["Options"]["com.docker.network.driver.mtu"] == "1400"
    link = subprocess.run(["ip", "-o", "link", "show", "dev", bridge], capture_output=True,
                          text=True)  # fmt: skip
    assert link.returncode == 0 and "mtu 1400" in link.stdout, link.stderr
    a, b = f"icca-{net.tag}", f"iccb-{net.tag}"
    for name in (a, b):
        net.run("-d", "--name", name, "--network", n, IMAGE, "sleep", "300")
    b_ip = _ip(net, b, n)
    mtu = net.docker("exec", a, "ip", "-o", "link", "show", "eth0").stdout
    assert "mtu 1400" in mtu
    # ICC off: a cannot reach b, by address or by name, while both reach the gateway
    assert net.docker("exec", a, "ping", "-c1", "-W1", b_ip, check=False).returncode != 0
    assert net.docker("exec", a, "ping", "-c1", "-W1", b, check=False).returncode != 0
    for name in (a, b):
        gw = net.docker("exec", name, "ping", "-c1", "-W2", "10.214.70.1", check=False)
        assert gw.returncode == 0, gw.stdout
    # on a network with the defaults, the same two reach each other (the control)
    c, d = f"iccc-{net.tag}", f"iccd-{net.tag}"
    for name in (c, d):
        net.run("-d", "--name", name, "--network", plain, IMAGE, "sleep", "300")
    assert net.docker("exec", c, "ping", "-c1", "-W2", d, check=False).returncode == 0
    if engine.name == "dockyardd":  # our nftables table: no masquerade for that subnet
        plain_id = json.loads(net.docker("network", "inspect", plain).stdout)[0]["Id"]
        plain_bridge = f"br-{plain_id[:12]}"
        assert _masquerades(_our_rules(plain_bridge), plain_subnet)
        assert not _masquerades(_our_rules(bridge), subnet)
    net.docker("rm", "-f", a, b)
    net.docker("network", "rm", n)
    net.networks.remove(n)
    assert bridge not in _links()


# -- hairpin: a container reaching a published port through the host's gateway address -----


def _gateway(net: Net, name: str, network: str) -> str:
    return net.docker(
        "inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{network}").Gateway}}}}', name
    ).stdout.strip()


@pytest.mark.parametrize("user_defined", [True, False], ids=["user-network", "default-bridge"])
def test_hairpin_to_a_published_port(net: Net, user_defined: bool) -> None:
    n = net.network("hairpin") if user_defined else "bridge"
    port = _free_port()
    web, peer = f"hp-{net.tag}", f"hpp-{net.tag}"
    _httpd(net, web, "--network", n, "-p", f"{port}:80")
    net.run("-d", "--name", peer, "--network", n, IMAGE, "sleep", "300")
    gw = _gateway(net, web, n)
    assert wait_for(lambda: _try_http(f"http://127.0.0.1:{port}/") == f"hello-{web}\n")
    # busybox nc, not wget: Debian's static busybox wget crashes in these containers
    get = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {gw} {port}"
    for who in (web, peer):  # the container itself, and another one on its network
        out = net.docker("exec", who, "sh", "-c", get, check=False)
        assert out.stdout.endswith(f"\n\nhello-{web}\n"), (who, out.stdout, out.stderr)


# -- port ranges ------------------------------------------------------------------------------


def _free_run(n: int) -> int:
    """The first of `n` consecutive TCP ports free on every address."""
    for _ in range(200):
        first = _free_port()
        if first + n > 65535:
            continue
        socks = [socket.socket() for _ in range(n)]
        try:
            for s, p in zip(socks, range(first, first + n), strict=True):
                s.bind(("0.0.0.0", p))
            return first
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no run of free ports")


def _port_lines(net: Net, name: str, *port: str) -> list[str]:
    out = net.docker("port", name, *port).stdout.splitlines()
    return [line for line in out if "[::]" not in line]  # dockerd adds IPv6 twins


def test_port_ranges(net: Net) -> None:
    first = _free_run(3)
    many = f"many-{net.tag}"
    script = (f"mkdir /www && echo hello-{many} > /www/index.html && httpd -p 81 -h /www "
              "&& httpd -p 82 -h /www && exec httpd -f -p 80 -h /www")  # fmt: skip
    net.run("-d", "--name", many, "-p", f"{first}-{first + 2}:80-82", IMAGE, "sh", "-c", script)
    assert _port_lines(net, many) == [
        f"{80 + i}/tcp -> 0.0.0.0:{first + i}" for i in range(3)
    ]  # fmt: skip
    for i in range(3):
        url = f"http://127.0.0.1:{first + i}/"
        assert wait_for(lambda url=url: _try_http(url) == f"hello-{many}\n"), url
    # one container port, a range of host ports: the first free one; a port another
    # process holds is passed over
    second = _free_run(3)
    spec = f"{second}-{second + 2}"
    with socket.socket() as foreign:
        foreign.bind(("0.0.0.0", second))
        got = []
        for i in (1, 2):
            name = f"rng{i}-{net.tag}"
            _httpd(net, name, "-p", f"{spec}:80")
            (line,) = _port_lines(net, name, "80")
            got.append(line)
            url = f"http://127.0.0.1:{second + i}/"
            assert wait_for(lambda url=url, name=name: _try_http(url) == f"hello-{name}\n")
        assert got == [f"0.0.0.0:{second + 1}", f"0.0.0.0:{second + 2}"]
        full = net.run("-d", "--name", f"rng3-{net.tag}", "-p", f"{spec}:80", IMAGE, "true",
                       check=False)  # fmt: skip
        assert full.returncode != 0
        assert f"failed to bind host port {second} for 0.0.0.0:{spec}:" in full.stderr
        assert "/tcp: address already in use" in full.stderr
    # a taken port inside a range of pairs: the clear error, and nothing stays held
    third = _free_run(3)
    with socket.socket() as foreign:
        foreign.bind(("0.0.0.0", third + 1))
        taken = net.run("-d", "--name", f"pairs-{net.tag}", "-p", f"{third}-{third + 2}:80-82",
                        IMAGE, "true", check=False)  # fmt: skip
    assert taken.returncode != 0
    assert f"failed to bind host port for 0.0.0.0:{third + 1}:" in taken.stderr
    assert ":81/tcp: address already in use" in taken.stderr
    for p in (third, third + 2):
        with socket.socket() as s:
            s.bind(("0.0.0.0", p))


def test_a_created_container_can_leave_none(net: Net) -> None:
    # moby's DisconnectFromNetwork: a container that does not run just loses the entry.
    name = f"dn-{net.tag}"
    net.docker("create", "--label", LABEL, "--name", name, "--network", "none", IMAGE, "true")
    net.docker("network", "disconnect", "none", name)
    got = net.docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", name).stdout
    assert got.strip() == "{}"
