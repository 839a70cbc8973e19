"""Published ports: HostConfig.PortBindings (and -P) to reserved host ports and DNAT rules.

A published host port is reserved by a socket bound to it (a TCP socket that never
listens, or a UDP socket) for as long as the container runs, as Docker's port mapper does:
a port another process holds fails with Docker's "port is already allocated", and nothing
else takes it meanwhile. The traffic itself never reaches these sockets: the nftables DNAT
(nft.py) sends it to the container first.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Mapping
from typing import Any

from dockyard import errdefs
from dockyard.network.nft import PortRule
from dockyard.utils.record import record


@record(frozen=True)
class Binding:
    """One requested mapping: container port/proto, host ip, host port range (0 = any)."""

    container_port: int
    proto: str
    host_ip: str
    host_start: int
    host_end: int


def requested(
    bindings: Mapping[str, Any] | None, *, publish_all: bool, exposed: Mapping[str, Any] | None
) -> list[Binding]:
    """The bindings of HostConfig.PortBindings, plus every exposed port for -P."""
    table: dict[str, list[dict[str, Any]]] = {
        k: list(v or [{}]) for k, v in (bindings or {}).items()
    }
    if publish_all:
        for port in exposed or {}:
            table.setdefault(port, [{}])
    out = []
    for key, entries in table.items():
        port, _, proto = key.partition("/")
        for e in entries:
            host = str((e or {}).get("HostPort") or "")
            start, _, end = host.partition("-")
            try:
                lo = int(start) if start else 0
                hi = int(end) if end else lo
                cport = int(port)
            except ValueError:
                raise errdefs.InvalidArgument(f"invalid port specification: {host!r}") from None
            out.append(Binding(cport, proto or "tcp", str((e or {}).get("HostIp") or ""), lo, hi))
    return out


class Reservations:
    """The host ports held for running containers, by container id."""

    def __init__(self) -> None:
        self._held: dict[str, list[socket.socket]] = {}

    def reserve(
        self, container_id: str, endpoint_name: str, endpoint_id: str,
        binds: list[Binding], container_ip: str,
    ) -> tuple[list[PortRule], dict[str, list[dict[str, str]]]]:  # fmt: skip
        """Bind every host port; the DNAT rules and NetworkSettings.Ports. On a failure
        nothing stays reserved."""
        socks: list[socket.socket] = []
        rules: list[PortRule] = []
        try:
            for b in binds:
                sock, port = _bind(b, endpoint_name, endpoint_id)
                socks.append(sock)
                rules.append(PortRule(b.proto, b.host_ip, port, container_ip, b.container_port))
        except BaseException:
            for s in socks:
                s.close()
            raise
        self._held.setdefault(container_id, []).extend(socks)
        return rules, ports_doc(rules)

    def restore(self, container_id: str, rules: list[PortRule]) -> None:
        """Take the ports of a live-restored container again (best effort)."""
        for r in rules:
            b = Binding(r.container_port, r.proto, r.host_ip, r.host_port, r.host_port)
            with contextlib.suppress(errdefs.DockyardError):
                sock, _ = _bind(b, "", "")
                self._held.setdefault(container_id, []).append(sock)

    def release(self, container_id: str) -> None:
        for s in self._held.pop(container_id, []):
            s.close()

    def close(self) -> None:
        for cid in list(self._held):
            self.release(cid)


def ports_doc(rules: list[PortRule]) -> dict[str, list[dict[str, str]]]:
    doc: dict[str, list[dict[str, str]]] = {}
    for r in rules:
        doc.setdefault(f"{r.container_port}/{r.proto}", []).append(
            {"HostIp": r.host_ip or "0.0.0.0", "HostPort": str(r.host_port)}
        )
    return doc


def _bind(b: Binding, endpoint_name: str, endpoint_id: str) -> tuple[socket.socket, int]:
    kind = socket.SOCK_DGRAM if b.proto == "udp" else socket.SOCK_STREAM
    host_ip = b.host_ip or "0.0.0.0"
    ports = range(b.host_start, b.host_end + 1) if b.host_start else [0]
    last: OSError | None = None
    for port in ports:
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((host_ip, port))
            return sock, sock.getsockname()[1]
        except OSError as err:
            sock.close()
            last = err
    if last is not None and last.errno == errno.EADDRINUSE:
        shown = f"{b.host_start}" if b.host_start == b.host_end else f"{b.host_start}-{b.host_end}"
        raise errdefs.Unknown(
            f"driver failed programming external connectivity on endpoint {endpoint_name} "
            f"({endpoint_id}): Bind for {host_ip}:{shown} failed: port is already allocated"
        )
    raise errdefs.Unknown(f"failed to bind host port {host_ip}:{b.host_start}: {last}")
