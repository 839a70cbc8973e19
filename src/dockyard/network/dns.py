"""The embedded DNS server at 127.0.0.11 of containers on user-defined networks (libnetwork
resolver.go).

For each such container the daemon binds UDP and TCP sockets to 127.0.0.11:53 inside the
container's sandbox (sockets are made in a worker thread that enters the namespace, then
served by the daemon's loop), so no DNAT is needed. It answers A records for the names,
aliases and short ids of containers on the networks the asking container is on (AAAA
for their IPv6 addresses on EnableIPv6 networks), PTR for their addresses (in-addr.arpa
and ip6.arpa), and forwards everything else
to the container's --dns servers or the host's resolvers (from the daemon's namespace, so
a loopback resolver of the host works too).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import struct
from collections.abc import Callable
from typing import Any, cast

from dockyard.network import sandbox
from dockyard.network.model import Endpoint

log = logging.getLogger(__name__)

ADDRESS = "127.0.0.11"
TTL = 600
A, PTR, AAAA = 1, 12, 28
Lookup = Callable[[str], list[tuple[Endpoint, str]]]  # asker id -> [(endpoint, network name)]


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
        if container_id in self._servers:
            return
        udp, tcp = await asyncio.to_thread(_sockets, netns)
        loop = asyncio.get_running_loop()
        ext = external or self._host_servers()

        def proto() -> _UDP:
            return _UDP(self, container_id, ext)

        transport, _ = await loop.create_datagram_endpoint(proto, sock=udp)

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

    async def answer(self, asker: str, ext: list[str], query: bytes, tcp: bool) -> bytes | None:
        local = self.local_answer(asker, query)
        if local is not None:
            return local
        return await asyncio.to_thread(_forward, query, ext, tcp)

    async def _serve_tcp(
        self, asker: str, ext: list[str], r: asyncio.StreamReader, w: asyncio.StreamWriter
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
    def __init__(self, dns: EmbeddedDNS, asker: str, ext: list[str]) -> None:
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
    with sandbox.entered(netns):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((ADDRESS, 53))
    tcp.bind((ADDRESS, 53))
    tcp.listen(64)
    udp.setblocking(False)
    tcp.setblocking(False)
    return udp, tcp


def _forward(query: bytes, servers: list[str], tcp: bool) -> bytes | None:
    """Ask the external servers in turn (2 s each); None when none answers."""
    for server in servers:
        try:
            if tcp:
                with socket.create_connection((server, 53), timeout=2) as s:
                    s.sendall(struct.pack("!H", len(query)) + query)
                    size = struct.unpack("!H", _recv_exact(s, 2))[0]
                    return _recv_exact(s, size)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2)
                s.sendto(query, (server, 53))
                return s.recv(65535)
        except OSError:
            continue
    return None


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("short read")
        buf += chunk
    return buf
