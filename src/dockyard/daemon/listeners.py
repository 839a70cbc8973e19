"""The daemon's API sockets (-H): unix sockets with dockerd's permissions, TCP with TLS.

- unix://PATH: a stale socket file is removed; the socket is bound under umask 0777, then
  made 0660 and owned by root:<group> (`--group`, default "dockyard"; root's group when that
  group does not exist, an error when a group named on purpose does not);
- tcp://HOST:PORT: plain (with dockerd's warning), TLS (`--tls`), or mutual TLS
  (`--tlsverify`: clients must present a certificate signed by `--tlscacert`).
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import socket
import ssl
import stat

from dockyard import errdefs
from dockyard.daemon.config import DEFAULT_GROUP, DaemonConfig, parse_host
from dockyard.utils.record import record

log = logging.getLogger(__name__)

INSECURE_WARNING = (
    "Binding to IP address without --tlsverify is insecure and gives root access on this"
    " machine to everyone who has access to your network."
)


@record(frozen=True)
class Listener:
    """One bound, listening socket and what to remove when it closes."""

    host: str  # as configured: "unix:///run/dockyard.sock", "tcp://127.0.0.1:2376"
    sock: socket.socket
    ssl_context: ssl.SSLContext | None = None
    path: str = ""  # a unix socket's file


def open_listeners(config: DaemonConfig) -> list[Listener]:
    """Bind every -H host; on a failure the ones already bound are closed again."""
    tls = tls_context(config) if config.uses_tls else None
    listeners: list[Listener] = []
    try:
        for host in config.hosts:
            proto, address = parse_host(host, tls=config.uses_tls)
            if proto == "unix":
                listeners.append(Listener(host=host, sock=unix_socket(address, config.group),
                                          path=address))  # fmt: skip
            else:
                if not config.tlsverify:
                    log.warning("%s host=%s", INSECURE_WARNING, host)
                listeners.append(Listener(host=host, sock=tcp_socket(address), ssl_context=tls))
    except BaseException:
        close_listeners(listeners)
        raise
    return listeners


def close_listeners(listeners: list[Listener]) -> None:
    """Close the sockets and remove the unix socket files."""
    for listener in listeners:
        listener.sock.close()
        if listener.path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(listener.path)


def unix_socket(path: str, group: str) -> socket.socket:
    """A listening unix socket at `path`, mode 0660, group `group` when it exists."""
    gid = _socket_gid(group)
    os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)  # a previous daemon's socket (the pidfile said none is running)
        else:
            raise errdefs.FailedPrecondition(f"{path} exists and is not a socket")
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_umask = os.umask(0o777)  # no moment where the socket is open to everyone
        try:
            sock.bind(path)
        finally:
            os.umask(old_umask)
        if os.geteuid() == 0:  # a daemon run by a user (tests) keeps its own ownership
            os.chown(path, 0, gid)
        os.chmod(path, 0o660)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as err:
        sock.close()
        raise errdefs.FailedPrecondition(f"failed to listen on {path}: {err}") from err
    return sock


def tcp_socket(address: str) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 literals in brackets)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(
            host, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, sockaddr = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise errdefs.InvalidArgument(f"failed to listen on tcp://{address}: {err}") from err
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as err:
        sock.close()
        raise errdefs.FailedPrecondition(f"failed to listen on tcp://{address}: {err}") from err
    return sock


def tls_context(config: DaemonConfig) -> ssl.SSLContext:
    """The server's TLS settings: TLS 1.2 or later as dockerd; client certificates required
    and checked against tlscacert with --tlsverify."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tlscert, config.tlskey)
        if config.tlsverify:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=config.tlscacert)
    except (OSError, ssl.SSLError) as err:
        raise errdefs.InvalidArgument(f"could not load TLS certificates: {err}") from err
    return context


def _socket_gid(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        if group == DEFAULT_GROUP:
            log.debug("group %s not found: the API socket belongs to root's group", group)
            return 0
        raise errdefs.InvalidArgument(f"group {group} not found") from None
