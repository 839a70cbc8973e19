"""Which daemon to talk to, and how: -H, DOCKYARD_HOST, contexts and the TLS flags.

The order is the docker CLI's (cli/command/cli.go): -H, else DOCKYARD_HOST, else --context,
DOCKYARD_CONTEXT or the config's currentContext, else the default socket. The environment
mirrors docker's: DOCKYARD_HOST, DOCKYARD_CONTEXT, DOCKYARD_TLS_VERIFY (non-empty = verify),
DOCKYARD_CERT_PATH (default: the config directory) for ca.pem, cert.pem and key.pem.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.client.transport import Client, TLSConfig

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.client.configfile import ConfigFile

DEFAULT_SOCKET = "/run/dockyard.sock"
DEFAULT_HOST = "unix://" + DEFAULT_SOCKET
DEFAULT_HTTP_HOST = "localhost"
DEFAULT_TCP_HOST = "tcp://localhost:2375"
DEFAULT_TLS_HOST = "tcp://localhost:2376"

ENV_HOST = "DOCKYARD_HOST"
ENV_CONTEXT = "DOCKYARD_CONTEXT"
ENV_TLS_VERIFY = "DOCKYARD_TLS_VERIFY"
ENV_CERT_PATH = "DOCKYARD_CERT_PATH"


def parse_host(value: str, *, default_to_tls: bool = False) -> str:
    """docker's opts.ParseHost: "" -> the default socket (tcp://localhost:2376 with TLS);
    "unix://" -> the default socket; "tcp://h" -> tcp://h:2375; "h:1" -> tcp://h:1.
    fd:// and ssh:// parse in docker but a client cannot use them here."""
    host = value.strip()
    if not host:
        return DEFAULT_TLS_HOST if default_to_tls else DEFAULT_HOST
    proto, sep, rest = host.partition("://")
    if not sep and proto:
        proto, rest = "tcp", proto
    if proto == "tcp":
        return _parse_tcp(rest, value)
    if proto == "unix":
        if "://" in rest:
            raise errdefs.InvalidArgument(f"invalid proto, expected unix: {rest}")
        return "unix://" + (rest or DEFAULT_SOCKET)
    if proto == "fd":
        raise errdefs.InvalidArgument(f"unable to parse docker host `{host}`")
    if proto in ("ssh", "npipe"):
        raise errdefs.Unimplemented(f"{proto}:// hosts are not supported by dockyard: {host}")
    raise errdefs.InvalidArgument(f"invalid bind address format: {host}")


def _parse_tcp(addr: str, original: str) -> str:
    """docker's opts.ParseTCPAddr with tcp://localhost:2375 as the default."""
    if not addr:
        return DEFAULT_TCP_HOST
    if "://" in addr:
        raise errdefs.InvalidArgument(f"invalid proto, expected tcp: {addr}")
    hostport, slash, path = addr.partition("/")
    for ch in hostport:
        if ch in ' \t"<>\\^`{|}%' or ord(ch) < 0x20:
            raise errdefs.InvalidArgument(
                f'parse "tcp://{addr}": invalid character "{ch}" in host name'
            )
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise errdefs.InvalidArgument(f"parse \"tcp://{addr}\": missing ']' in host")
        name, port = hostport[1:end], hostport[end + 1 :]
        if port and not port.startswith(":"):
            raise errdefs.InvalidArgument(f"invalid bind address format: {original.strip()}")
        port = port[1:]
        bracket = True
    elif hostport.count(":") > 1:  # a bare IPv6 address: Go retries with the default port
        name, port, bracket = hostport, "", True
    else:
        name, _, port = hostport.partition(":")
        bracket = False
    if port and not port.isdigit():
        raise errdefs.InvalidArgument(f'parse "tcp://{addr}": invalid port ":{port}" after host')
    name = name or DEFAULT_HTTP_HOST
    port = port or "2375"
    shown = f"[{name}]" if bracket else name
    return f"tcp://{shown}:{port}{slash}{path}"


def resolve_context_name(*, hosts: tuple[str, ...], context: str, config: ConfigFile) -> str:
    """docker's resolveContextName."""
    if context:
        return context
    if hosts or os.environ.get(ENV_HOST):
        return "default"
    return os.environ.get(ENV_CONTEXT) or config.current_context or "default"


def default_host(hosts: tuple[str, ...], *, tls: bool) -> str:
    """The default context's host: -H, else DOCKYARD_HOST, else the default socket."""
    if len(hosts) > 1:
        raise errdefs.InvalidArgument("specify only one -H")
    return parse_host(hosts[0] if hosts else os.environ.get(ENV_HOST, ""), default_to_tls=tls)


def _need(path: str) -> str:
    if not os.path.exists(path):
        raise errdefs.InvalidArgument(
            f"unable to resolve docker endpoint: open {path}: no such file or directory"
        )
    return path


def default_tls(
    *, config_dir: str, tls: bool, tlsverify: bool, tlscacert: str, tlscert: str, tlskey: str
) -> TLSConfig | None:
    """The TLS the global flags ask for (docker's ClientOptions.SetDefaultOptions): --tlsverify
    (or DOCKYARD_TLS_VERIFY) implies --tls; default files come from DOCKYARD_CERT_PATH or the
    config directory, a default cert/key that does not exist is dropped, the CA must exist."""
    verify = tlsverify or bool(os.environ.get(ENV_TLS_VERIFY))
    if not (tls or verify):
        return None
    cert_path = os.environ.get(ENV_CERT_PATH) or config_dir
    ca = tlscacert or os.path.join(cert_path, "ca.pem")
    cert = tlscert or os.path.join(cert_path, "cert.pem")
    key = tlskey or os.path.join(cert_path, "key.pem")
    if not tlscert and not os.path.exists(cert):
        cert = ""
    if not tlskey and not os.path.exists(key):
        key = ""
    return TLSConfig(
        ca=_need(ca), cert=_need(cert) if cert else "", key=_need(key) if key else "", verify=verify
    )


def connect(
    *,
    hosts: tuple[str, ...],
    context: str,
    config: ConfigFile,
    config_dir: str,
    tls: bool,
    tlsverify: bool,
    tlscacert: str,
    tlscert: str,
    tlskey: str,
) -> Client:
    """The client for the daemon the global flags, the environment and the config name."""
    if context and hosts:
        raise errdefs.InvalidArgument(
            "conflicting options: cannot specify both --host and --context"
        )
    headers = config.http_headers
    name = resolve_context_name(hosts=hosts, context=context, config=config)
    if name == "default":
        tls_config = default_tls(
            config_dir=config_dir,
            tls=tls,
            tlsverify=tlsverify,
            tlscacert=tlscacert,
            tlscert=tlscert,
            tlskey=tlskey,
        )
        try:
            host = default_host(hosts, tls=tls_config is not None)
        except errdefs.InvalidArgument as err:
            raise errdefs.InvalidArgument(f"unable to resolve docker endpoint: {err}") from err
        return Client(host, tls=tls_config, headers=headers)
    from dockyard.client import contexts

    try:
        ctx = contexts.get(config_dir, name)
    except errdefs.NotFound as err:
        raise errdefs.NotFound(f"unable to resolve docker endpoint: {err}") from err
    host = parse_host(ctx.host)
    ctx_tls = None
    if ctx.has_tls or ctx.skip_tls_verify:
        ctx_tls = TLSConfig(ca=ctx.ca, cert=ctx.cert, key=ctx.key, verify=not ctx.skip_tls_verify)
    return Client(host, tls=ctx_tls, headers=headers)
