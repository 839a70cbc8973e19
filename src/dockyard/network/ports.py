"""Published ports: HostConfig.PortBindings (and -P) to reserved host ports and DNAT rules.

A published host port is reserved by a socket bound to it (a TCP socket that never
listens, or a UDP socket) for as long as the container runs, as Docker's port mapper does:
a port another container holds fails with Docker's "port is already allocated", one another
process holds with the bind's error, and nothing else takes it meanwhile. The traffic
itself never reaches these sockets: the nftables DNAT (nft.py) sends it to the container
first.
"""

from __future__ import annotations

import contextlib
import os
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


_ATTEMPTS = 10  # moby's maxAllocatePortAttempts: ports of a range tried before giving up
Key = tuple[str, str, int]  # (host ip, "" for every address; proto; port)


class Reservations:
    """The host ports held for running containers, by container id (moby's port allocator
    and the sockets that reserve the ports).

    A specific host port another container holds is Docker's "port is already allocated";
    one another process holds, the bind's own error. In a range (`-p 8000-8010:80`) the
    search starts after the port the range last gave, skips the ports containers hold and
    tries up to ten that fail to bind, as moby's allocator does."""

    def __init__(self) -> None:
        self._held: dict[str, list[tuple[socket.socket, Key]]] = {}
        self._last: dict[tuple[str, str, int, int], int] = {}  # a range's last port given

    def reserve(
        self, container_id: str, endpoint_name: str, endpoint_id: str,
        binds: list[Binding], container_ip: str,
    ) -> tuple[list[PortRule], dict[str, list[dict[str, str]]]]:  # fmt: skip
        """Bind every host port; the DNAT rules and NetworkSettings.Ports. On a failure
        nothing stays reserved."""
        held: list[tuple[socket.socket, Key]] = []
        rules: list[PortRule] = []
        try:
            for b in binds:
                try:
                    sock, key = self._allocate(b, container_ip, extra=held)
                except _PortError as err:
                    raise errdefs.Unknown(
                        f"driver failed programming external connectivity on endpoint "
                        f"{endpoint_name} ({endpoint_id}): {err}"
                    ) from None
                held.append((sock, key))
                rules.append(PortRule(b.proto, b.host_ip, key[2], container_ip, b.container_port))
        except BaseException:
            for s, _ in held:
                s.close()
            raise
        self._held.setdefault(container_id, []).extend(held)
        return rules, ports_doc(rules)

    def restore(self, container_id: str, rules: list[PortRule]) -> None:
        """Take the ports of a live-restored container again (best effort)."""
        for r in rules:
            b = Binding(r.container_port, r.proto, r.host_ip, r.host_port, r.host_port)
            with contextlib.suppress(_PortError, OSError):
                self._held.setdefault(container_id, []).append(
                    self._allocate(b, r.container_ip, extra=[])
                )

    def release(self, container_id: str) -> None:
        for s, _ in self._held.pop(container_id, []):
            s.close()

    def close(self) -> None:
        for cid in list(self._held):
            self.release(cid)

    def _holder(self, ip: str, proto: str, port: int, extra: list[tuple[Any, Key]]) -> str | None:
        """The address under which a container holds (ip, proto, port), if one does: the
        same address, or either side every address (0.0.0.0)."""
        for entries in (*self._held.values(), extra):
            for _, (hip, hproto, hport) in entries:
                if hproto == proto and hport == port and (hip == ip or "" in (hip, ip)):
                    return hip or "0.0.0.0"
        return None

    def _allocate(
        self, b: Binding, container_ip: str, *, extra: list[tuple[Any, Key]]
    ) -> tuple[socket.socket, Key]:
        ip = "" if b.host_ip in ("", "0.0.0.0") else b.host_ip
        shown_ip = ip or "0.0.0.0"
        if not b.host_start:  # any port: the kernel's choice
            sock = _bind(ip, b.proto, 0)
            return sock, (ip, b.proto, sock.getsockname()[1])
        single = b.host_start == b.host_end
        spec = f"{b.host_start}" if single else f"{b.host_start}-{b.host_end}"
        req = f"{shown_ip}:{spec}:{container_ip}:{b.container_port}/{b.proto}"
        if single:
            holder = self._holder(ip, b.proto, b.host_start, extra)
            if holder is not None:
                raise _PortError(
                    f"Bind for {holder}:{b.host_start} failed: port is already allocated"
                )
            try:
                return _bind(ip, b.proto, b.host_start), (ip, b.proto, b.host_start)
            except OSError as err:
                raise _PortError(f"failed to bind host port for {req}: {_reason(err)}") from None
        key = (ip, b.proto, b.host_start, b.host_end)
        size = b.host_end - b.host_start + 1
        last = self._last.get(key, b.host_end)
        failed: list[tuple[int, OSError]] = []
        for i in range(1, size + 1):
            port = b.host_start + (last - b.host_start + i) % size
            if self._holder(ip, b.proto, port, extra) is not None:
                continue
            self._last[key] = port
            try:
                return _bind(ip, b.proto, port), (ip, b.proto, port)
            except OSError as err:
                failed.append((port, err))
                if len(failed) >= _ATTEMPTS:
                    break
        if not failed:
            raise _PortError("all ports are allocated")
        port, last_err = failed[-1]
        raise _PortError(f"failed to bind host port {port} for {req}: {_reason(last_err)}")


class _PortError(Exception):
    """Why a host port could not be had (moby's words)."""


def _reason(err: OSError) -> str:
    """The errno's text as Go prints it ("address already in use")."""
    return os.strerror(err.errno).lower() if err.errno else str(err)


def ports_doc(rules: list[PortRule]) -> dict[str, list[dict[str, str]]]:
    doc: dict[str, list[dict[str, str]]] = {}
    for r in rules:
        doc.setdefault(f"{r.container_port}/{r.proto}", []).append(
            {"HostIp": r.host_ip or "0.0.0.0", "HostPort": str(r.host_port)}
        )
    return doc


def _bind(ip: str, proto: str, port: int) -> socket.socket:
    """A socket holding `port` (TCP: bound, never listening; UDP: bound)."""
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.bind((ip or "0.0.0.0", port))
    except BaseException:
        sock.close()
        raise
    return sock
