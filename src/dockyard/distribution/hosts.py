"""Registry hosts: where a registry domain is reached, over which scheme, trusting which CAs.

Docker's rules (moby registry/config.go and registry/endpoints):

- HTTPS with verified certificates by default.
- An insecure registry (daemon.json `insecure-registries`: `host[:port]` entries or CIDRs,
  plus 127.0.0.0/8 and ::1/128 always, as Docker does) is tried over HTTPS without certificate
  verification first and then over plain HTTP.
- `registry-mirrors` are tried before Docker Hub for pulls (never for pushes).
- Extra trust per host from `/etc/docker/certs.d/<host[:port]>/` (and ours,
  `/etc/dockyard/certs.d/`): every `*.crt` is a CA; a `*.cert` with its `*.key` is a client
  certificate presented to that registry.

Docker resolves a hostname to decide whether it falls in an insecure CIDR; we only look at IP
literals and `localhost`, so that deciding a scheme never waits on DNS.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from dockyard import errdefs
from dockyard.images.reference import DEFAULT_REGISTRY_HOST, registry_host
from dockyard.utils.record import record

CERTS_DIRS = ("/etc/docker/certs.d", "/etc/dockyard/certs.d")
LOOPBACK = ("127.0.0.0/8", "::1/128")

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@record(frozen=True)
class Endpoint:
    """One way to reach a registry: scheme, host[:port], and the TLS settings to use."""

    host: str  # host[:port] as written in URLs
    scheme: str  # "https" or "http"
    ssl: ssl.SSLContext | None  # None for plain HTTP
    mirror: bool = False
    path: str = ""  # a mirror's path prefix, without the trailing slash

    @property
    def base_url(self) -> str:
        """The URL the v2 API paths hang from: "https://host:port/v2/"."""
        return f"{self.scheme}://{self.host}{self.path}/v2/"

    @property
    def verifies_certificates(self) -> bool:
        return self.ssl is not None and self.ssl.verify_mode != ssl.CERT_NONE


class RegistryHosts:
    """Decides the endpoints for a registry domain from the daemon's registry settings."""

    def __init__(
        self,
        *,
        insecure_registries: Iterable[str] = (),
        mirrors: Iterable[str] = (),
        certs_dirs: Sequence[str] = CERTS_DIRS,
        loopback_insecure: bool = True,
    ) -> None:
        self._insecure_hosts: set[str] = set()
        self._insecure_networks: list[_Network] = []
        for entry in [*insecure_registries, *(LOOPBACK if loopback_insecure else ())]:
            self._add_insecure(entry)
        self._mirrors = [_mirror_endpoint(url) for url in mirrors]
        self._certs_dirs = tuple(certs_dirs)
        self._contexts: dict[tuple[str, bool], ssl.SSLContext] = {}

    def _add_insecure(self, entry: str) -> None:
        entry = entry.strip()
        if "://" in entry:
            raise errdefs.InvalidArgument(f"insecure registry {entry} should not contain '://'")
        try:
            self._insecure_networks.append(ipaddress.ip_network(entry, strict=False))
            if "/" in entry:
                return
        except ValueError:
            pass
        self._insecure_hosts.add(entry.lower())

    def is_insecure(self, host: str) -> bool:
        """Whether `host` (host[:port]) may be reached without verified TLS."""
        host = host.lower()
        if host in self._insecure_hosts:
            return True
        name = _hostname(host)
        if name in self._insecure_hosts:
            return True
        addresses = ["127.0.0.1", "::1"] if name == "localhost" else [name]
        for text in addresses:
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                continue
            if any(address in network for network in self._insecure_networks):
                return True
        return False

    def endpoints(self, domain: str, *, push: bool = False) -> list[Endpoint]:
        """Where to send requests for `domain`, in the order to try them."""
        host = registry_host(domain)
        found = [] if push or host != DEFAULT_REGISTRY_HOST else list(self._mirrors)
        if self.is_insecure(host):
            found.append(Endpoint(host=host, scheme="https", ssl=self.ssl_context(host, False)))
            found.append(Endpoint(host=host, scheme="http", ssl=None))
        else:
            found.append(Endpoint(host=host, scheme="https", ssl=self.ssl_context(host, True)))
        return found

    def ssl_context(self, host: str, verify: bool) -> ssl.SSLContext:
        """A TLS client context for `host`: its certs.d CAs and client certificate."""
        key = (host, verify)
        context = self._contexts.get(key)
        if context is None:
            context = self._make_context(host, verify)
            self._contexts[key] = context
        return context

    def _make_context(self, host: str, verify: bool) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        for directory in self._host_dirs(host):
            for name in sorted(os.listdir(directory)):
                path = os.path.join(directory, name)
                try:
                    if name.endswith(".crt"):
                        context.load_verify_locations(cafile=path)
                    elif name.endswith(".cert"):
                        key = path.removesuffix(".cert") + ".key"
                        if not os.path.exists(key):
                            raise errdefs.InvalidArgument(
                                f"missing key {os.path.basename(key)} for client certificate "
                                f"{name} in {directory}"
                            )
                        context.load_cert_chain(path, key)
                except (ssl.SSLError, OSError) as err:
                    raise errdefs.InvalidArgument(
                        f"failed to load {path} for registry {host}: {err}"
                    ) from err
        return context

    def _host_dirs(self, host: str) -> list[str]:
        names = [host, host.replace(":", "_")]  # "_" is Docker's spelling on Windows hosts
        return [
            os.path.join(base, name)
            for base in self._certs_dirs
            for name in dict.fromkeys(names)
            if os.path.isdir(os.path.join(base, name))
        ]


def _hostname(host: str) -> str:
    """host[:port] without the port; IPv6 literals lose their brackets."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _mirror_endpoint(url: str) -> Endpoint:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errdefs.InvalidArgument(f"invalid mirror: {url!r} is not an http(s) URL")
    context = ssl.create_default_context() if parts.scheme == "https" else None
    return Endpoint(
        host=parts.netloc,
        scheme=parts.scheme,
        ssl=context,
        mirror=True,
        path=parts.path.rstrip("/"),
    )
