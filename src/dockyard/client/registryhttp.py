"""The HTTP side of the registry client: one request per connection, and the registry's errors.

`send` speaks to one endpoint (https with the certificates of /etc/docker/certs.d/<host>, or
plain http) on a fresh connection, as docker's manifest transport does with keep-alive off.
Only `dockyard manifest` gets here, so http.client and ssl are fine (imported when sending).
Failures read as Go's: "dial tcp HOST: connect: connection refused", "tls: failed to verify
certificate: ...", and a registry's error body as distribution's errcode words it.
"""

from __future__ import annotations

import json

from dockyard import errdefs
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import http.client
    import ssl
    from collections.abc import Mapping

USER_AGENT = "dockyard-cli"
CERTS_DIR = "/etc/docker/certs.d"
MAX_MANIFEST = 4 << 20


class RegistryError(errdefs.Unknown):
    """An error response of the registry, worded as distribution's errcode does it."""

    def __init__(self, message: str, *, status: int, codes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes

    @property
    def continuable(self) -> bool:
        """The errors on which docker tries the next endpoint (continueOnError)."""
        if not self.codes:
            return True  # an unexpected HTTP response
        return self.codes[0] in ("UNAUTHORIZED", "MANIFEST_UNKNOWN", "NAME_UNKNOWN")


def registry_error(status: int, body: bytes) -> RegistryError:
    try:
        errors = json.loads(body)["errors"]
        parts = [(str(e.get("code", "UNKNOWN")), str(e.get("message", ""))) for e in errors if e]
    except (ValueError, KeyError, TypeError, AttributeError):
        parts = []
    if not parts:
        if status == 401:
            return RegistryError(
                "unauthorized: authentication required", status=status, codes=("UNAUTHORIZED",)
            )
        text = body.decode(errors="replace")
        return RegistryError(
            f"error parsing HTTP {status} response body: invalid character: {text!r}",
            status=status,
        )
    lines = [f"{code.replace('_', ' ').lower()}: {message}" for code, message in parts]
    text = lines[0] if len(lines) == 1 else "errors:\n" + "".join(f"{ln}\n" for ln in lines)
    return RegistryError(text, status=status, codes=tuple(code for code, _ in parts))


class ProtocolMismatch(Exception):
    """TLS spoken to a plain-HTTP server (Go: "server gave HTTP response to HTTPS client")."""


@record(frozen=True)
class Endpoint:
    """One base URL of a registry, and whether TLS certificates go unchecked."""

    scheme: str
    host: str  # "127.0.0.1:5000"
    skip_verify: bool = False

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


@record(frozen=True)
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def _tls_context(endpoint: Endpoint) -> ssl.SSLContext:
    import os
    import ssl

    context = ssl.create_default_context()
    if endpoint.skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    directory = os.path.join(CERTS_DIR, endpoint.host)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        names = []
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith(".crt"):
            context.load_verify_locations(cafile=path)
        elif name.endswith(".cert"):
            context.load_cert_chain(path, path[: -len(".cert")] + ".key")
    return context


def _describe(err: OSError) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connect: connection refused"
    return err.strerror or str(err)


def send(
    endpoint: Endpoint,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None = None,
    timeout: float = 60.0,
) -> Response:
    """One request on a fresh connection (docker's manifest transport disables keep-alive)."""
    import http.client
    import ssl

    conn: http.client.HTTPConnection
    if endpoint.scheme == "https":
        conn = http.client.HTTPSConnection(
            endpoint.host, timeout=timeout, context=_tls_context(endpoint)
        )
    else:
        conn = http.client.HTTPConnection(endpoint.host, timeout=timeout)
    full = url if "://" in url else endpoint.url + url
    target = url
    if "://" in url:  # the request line carries the path alone (origin-form)
        target = "/" + url.split("://", 1)[1].partition("/")[2]
    try:
        conn.request(method, target, body=body, headers={"User-Agent": USER_AGENT, **headers})
        resp = conn.getresponse()
        data = resp.read(MAX_MANIFEST + 1)
        collected: dict[str, list[str]] = {}
        for key, value in resp.getheaders():
            collected.setdefault(key.lower(), []).append(value)
        return Response(status=resp.status, headers=collected, body=data)
    except ssl.SSLCertVerificationError as err:
        raise errdefs.Unavailable(
            f'{method} "{full}": tls: failed to verify certificate: {err.verify_message}'
        ) from err
    except ssl.SSLError as err:
        raise ProtocolMismatch(f'{method} "{full}": http: server gave HTTP response') from err
    except OSError as err:
        raise errdefs.Unavailable(
            f'{method.capitalize()} "{full}": dial tcp {endpoint.host}: {_describe(err)}'
        ) from err
    except http.client.HTTPException as err:
        raise errdefs.Unavailable(f'{method} "{full}": {err}') from err
    finally:
        conn.close()
