"""The embedded DNS server at 127.0.0.11 of containers on user-defined networks (libnetwork
resolver.go).

For each such container the daemon binds a UDP and a TCP socket to 127.0.0.11 on ports the
kernel picks, inside the container's sandbox (made in a worker thread that enters the
namespace, then served by the daemon's loop), and a small nftables table in that namespace
(`dockyard-dns`, family ip) DNATs 127.0.0.11:53 to them, as Docker's resolver does: port 53
stays free for a DNS server the container runs itself. Without nft the sockets take
127.0.0.11:53 directly.

It answers A records for the names, aliases and short ids of containers on the networks the
asking container is on (AAAA for their IPv6 addresses on EnableIPv6 networks), PTR for their
addresses (in-addr.arpa and ip6.arpa), and forwards everything else, over the transport it
came by, to the container's --dns servers (or the daemon's `dns`) or else the host's
resolvers. As moby's resolver does, forwarded queries leave from the container's network
namespace, so a server is reached as the container would reach it (`--dns 127.0.0.1` is the
container's own loopback), except the host's loopback, link-local scoped and IPv6
resolvers, which are asked from the daemon's namespace (moby's HostLoopback).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable
from typing import Any, cast

from dockyard import errdefs
from dockyard.network import sandbox
from dockyard.network.model import Endpoint
from dockyard.utils.record import record

log = logging.getLogger(__name__)

ADDRESS = "127.0.0.11"
TTL = 600
TABLE = "dockyard-dns"  # in the container's namespace: 127.0.0.11:53 to the resolver's ports
A, PTR, AAAA = 1, 12, 28
Lookup = Callable[[str], list[tuple[Endpoint, str]]]  # asker id -> [(endpoint, network name)]


@record(frozen=True)
class Upstream:
    """A server forwarded to, and the namespace the query leaves from."""

    address: str
    host_ns: bool = False  # the daemon's namespace (moby's HostLoopback), else the sandbox's


def upstreams(override: list[str], host: list[str]) -> list[Upstream]:
    """The servers a container's resolver forwards to: its --dns servers (or the daemon's
    `dns`), all asked from its namespace; else the host's resolvers, those that only work
    in the host's namespace (loopback, scoped, IPv6) asked from there (moby
    TransformForIntNS)."""
    if override:
        return [Upstream(a) for a in override if _valid(a)]
    out = []
    for a in host:
        if not _valid(a):
            continue
        ip = ipaddress.ip_address(a.split("%")[0])
        out.append(Upstream(a, host_ns=ip.is_loopback or ip.version == 6 or "%" in a))
    return out


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    return True


def parse_question(msg: bytes) -> tuple[str, int, int] | None:
    """(name, qtype, end offset of the question) of a query, or None when malformed."""
    if len(msg) < 12 or struct.unpack("!H", msg[4:6])[0] < 1:
        return None
    labels, i = [], 12
    while i < len(msg):
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            return None
        labels.append(msg[i + 1 : i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[i : i + 2])[0]
    return ".".join(labels).lower(), qtype, i + 4


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def build_answer(query: bytes, end: int, qtype: int, rdatas: list[bytes], rcode: int = 0) -> bytes:
    """The response to `query` with one answer per rdata (all of type `qtype`)."""
    qid, flags = struct.unpack("!HH", query[:4])
    flags = 0x8000 | (flags & 0x0100) | 0x0080 | 0x0400 | rcode  # QR, RD copied, RA, AA
    header = struct.pack("!HHHHHH", qid, flags, 1, len(rdatas), 0, 0)
    body = query[12:end]
    for rdata in rdatas:
        body += struct.pack("!HHHIH", 0xC00C, qtype, 1, TTL, len(rdata)) + rdata
    return header + body


class EmbeddedDNS:
    """Resolvers of the running containers, by container id."""

    def __init__(self, *, lookup: Lookup, resolv_conf: str = "/etc/resolv.conf") -> None:
        self._lookup = lookup
        self._resolv_conf = resolv_conf
        self._servers: dict[str, tuple[asyncio.DatagramTransport, asyncio.Server]] = {}

    async def start(self, container_id: str, netns: str, external: list[str]) -> None:
        """Serve 127.0.0.11 in `netns`; `external`: the container's --dns servers."""
        if container_id in self._servers:
            return
        udp, tcp = await asyncio.to_thread(_sockets, netns)
        loop = asyncio.get_running_loop()
        ext = _Forward(netns, upstreams(external, [] if external else self._host_servers()))

        def proto() -> _UDP:
            return _UDP(self, container_id, ext)

        try:
            transport, _ = await loop.create_datagram_endpoint(proto, sock=udp)
        except BaseException:
            udp.close()
            tcp.close()
            raise

        async def on_tcp(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await self._serve_tcp(container_id, ext, r, w)

        server = await asyncio.start_server(on_tcp, sock=tcp)
        self._servers[container_id] = (transport, server)

    async def stop(self, container_id: str) -> None:
        entry = self._servers.pop(container_id, None)
        if entry is not None:
            entry[0].close()
            entry[1].close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(entry[1].wait_closed(), 1)

    async def close(self) -> None:
        for cid in list(self._servers):
            await self.stop(cid)

    def _host_servers(self) -> list[str]:
        try:
            with open(self._resolv_conf) as f:
                return [
                    line.split()[1] for line in f
                    if line.startswith("nameserver") and len(line.split()) > 1
                ]  # fmt: skip
        except OSError:
            return []

    def local_answer(self, asker: str, query: bytes) -> bytes | None:
        """The answer for a name of ours, or None to forward the query."""
        q = parse_question(query)
        if q is None:
            return None
        name, qtype, end = q
        name = name.rstrip(".")
        entries = self._lookup(asker)
        if qtype == PTR:
            addr = _ptr_address(name)
            for ep, net in entries:
                if addr and addr in (ep.address, ep.address6):
                    return build_answer(
                        query, end, PTR, [_encode_name(f"{ep.container_name}.{net}")]
                    )
            return None
        hits = [
            ep
            for ep, _ in entries
            if name
            in (ep.container_name.lower(), ep.container_id[:12], *[a.lower() for a in ep.aliases])
        ]
        if not hits:
            return None
        if qtype == A:
            found = dict.fromkeys(ep.address for ep in hits if ep.address)
            return build_answer(query, end, A, [ipaddress.ip_address(a).packed for a in found])
        if qtype == AAAA:
            found = dict.fromkeys(ep.address6 for ep in hits if ep.address6)
            return build_answer(query, end, AAAA, [ipaddress.ip_address(a).packed for a in found])
        return build_answer(query, end, qtype, [])  # a name of ours, no record of that type

    async def answer(self, asker: str, ext: _Forward, query: bytes, tcp: bool) -> bytes | None:
        local = self.local_answer(asker, query)
        if local is not None:
            return local
        return await asyncio.to_thread(ext.forward, query, tcp)

    async def _serve_tcp(
        self, asker: str, ext: _Forward, r: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                size = struct.unpack("!H", await r.readexactly(2))[0]
                reply = await self.answer(asker, ext, await r.readexactly(size), True)
                if reply is None:
                    break
                w.write(struct.pack("!H", len(reply)) + reply)
                await w.drain()
        except (asyncio.IncompleteReadError, OSError):
            pass
        finally:
            w.close()


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, dns: EmbeddedDNS, asker: str, ext: _Forward) -> None:
        self.dns, self.asker, self.ext = dns, asker, ext
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._reply(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _reply(self, data: bytes, addr: Any) -> None:
        try:
            reply = await self.dns.answer(self.asker, self.ext, data, False)
        except Exception:  # one query's failure must not end the resolver
            log.exception("dns query failed")
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


def _ptr_address(name: str) -> str:
    """The address a PTR name asks about ("" when it is not a reverse name)."""
    try:
        if name.endswith(".in-addr.arpa"):
            return str(ipaddress.IPv4Address(".".join(reversed(name[:-13].split(".")))))
        if name.endswith(".ip6.arpa"):
            nibbles = "".join(reversed(name[: -len(".ip6.arpa")].split(".")))
            return str(ipaddress.IPv6Address(int(nibbles, 16)))
    except ValueError:
        pass
    return ""


def _sockets(netns: str) -> tuple[socket.socket, socket.socket]:
    """The resolver's sockets in `netns`: on ports of the kernel's choosing behind the
    namespace's DNAT of 127.0.0.11:53 (port 53 itself without nft)."""
    with sandbox.entered(netns):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        nat = shutil.which("nft") is not None
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.bind((ADDRESS, 0 if nat else 53))
        tcp.bind((ADDRESS, 0 if nat else 53))
        tcp.listen(64)
        udp.setblocking(False)
        tcp.setblocking(False)
        if nat:
            _redirect(netns, udp.getsockname()[1], tcp.getsockname()[1])
    except BaseException:
        udp.close()
        tcp.close()
        raise
    return udp, tcp


def redirect_rules(udp_port: int, tcp_port: int) -> dict[str, Any]:
    """The `nft -j` document (re)making the namespace's table: 127.0.0.11:53 to the
    resolver's ports, for queries the namespace sends itself (nat output)."""
    t = {"family": "ip", "table": TABLE}
    chain = {**t, "name": "output", "type": "nat", "hook": "output", "prio": -100,
             "policy": "accept"}  # fmt: skip
    cmds: list[dict[str, Any]] = [
        {"add": {"table": {"family": "ip", "name": TABLE}}},
        {"delete": {"table": {"family": "ip", "name": TABLE}}},
        {"add": {"table": {"family": "ip", "name": TABLE}}},
        {"add": {"chain": chain}},
    ]
    for proto, port in (("udp", udp_port), ("tcp", tcp_port)):
        expr = [
            {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                       "right": ADDRESS}},
            {"match": {"op": "==", "left": {"payload": {"protocol": proto, "field": "dport"}},
                       "right": 53}},
            {"dnat": {"addr": ADDRESS, "port": port}},
        ]  # fmt: skip
        cmds.append({"add": {"rule": {**t, "chain": "output", "expr": expr}}})
    return {"nftables": cmds}


def _redirect(netns: str, udp_port: int, tcp_port: int) -> None:
    """Program the DNAT in `netns` (nft run from this thread while it is in there: a child
    process starts in its parent thread's namespaces)."""
    doc = json.dumps(redirect_rules(udp_port, tcp_port)).encode()
    with sandbox.entered(netns):
        proc = subprocess.run(["nft", "-j", "-f", "-"], input=doc, capture_output=True)
    if proc.returncode != 0:
        raise errdefs.Unknown(
            "failed to program the embedded DNS server's nftables rules: "
            + proc.stderr.decode(errors="replace").strip()
        )


class _Forward:
    """One container's upstream servers, asked in turn (2 s each) from the right namespace;
    the first answer wins, None when none answers."""

    def __init__(self, netns: str, servers: list[Upstream]) -> None:
        self.netns = netns
        self.servers = servers

    def _socket(self, server: Upstream, kind: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
        if server.host_ns:
            return socket.socket(family, kind)
        return sandbox.socket_in(self.netns, family, kind)

    def forward(self, query: bytes, tcp: bool) -> bytes | None:
        for server in self.servers:
            try:
                with self._socket(server, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM) as s:
                    s.settimeout(2)
                    target = _sockaddr(server.address)
                    if tcp:
                        s.connect(target)
                        s.sendall(struct.pack("!H", len(query)) + query)
                        size = struct.unpack("!H", _recv_exact(s, 2))[0]
                        return _recv_exact(s, size)
                    s.sendto(query, target)
                    while True:
                        reply, _ = s.recvfrom(65535)
                        if reply[:2] == query[:2]:  # a stray datagram is not the answer
                            return reply
            except OSError:
                continue
        return None


def _sockaddr(address: str) -> tuple[Any, ...]:
    """(host, 53) for an IPv4 server, (host, 53, 0, scope id) for a scoped IPv6 one."""
    host, _, scope = address.partition("%")
    if ":" not in host:
        return (host, 53)
    return (host, 53, 0, socket.if_nametoindex(scope) if scope else 0)


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("short read")
        buf += chunk
    return buf
