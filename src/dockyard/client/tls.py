"""TLS for tcp:// daemons (--tls, --tlsverify), imported only when such a daemon is used.

`ssl` costs several milliseconds and `socket` imports `enum`: neither is on the unix path.
"""

from __future__ import annotations

import socket
import ssl

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.client.transport import TLSConfig


def context(config: TLSConfig) -> ssl.SSLContext:
    """The client context docker builds from its TLS options (go-connections tlsconfig):
    verify the daemon's certificate and name against `ca` when `verify`, else trust any;
    present `cert`/`key` when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if config.verify:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if config.ca:
            ctx.load_verify_locations(cafile=config.ca)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if config.cert or config.key:
        ctx.load_cert_chain(certfile=config.cert or config.key, keyfile=config.key or None)
    return ctx


def connect(ctx: ssl.SSLContext, addr: tuple[str, int], *, timeout: float | None) -> ssl.SSLSocket:
    """A TLS connection to addr, the handshake done."""
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return ctx.wrap_socket(sock, server_hostname=addr[0])
    except BaseException:
        sock.close()
        raise
