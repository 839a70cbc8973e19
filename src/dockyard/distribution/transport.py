"""The registry client's HTTP layer: endpoints in order, the 401 round, retries, errors.

Each request goes to the registry's endpoints in order (mirrors; HTTPS; plain HTTP for
insecure registries) and sticks to the first that answers; 401 runs the challenge flow
(auth.py) and sends the request once more. Connection failures, 429 and 5xx are retried with
exponential back-off for requests that are safe to repeat (and any request that never
reached the server). Registry errors ({"errors": [{"code", "message"}]}) become errdefs kinds
with the registry's words in them, in one place (`raise_for`): 404 NotFound, 401/403
FailedPrecondition ("unauthorized: authentication required"), 400 InvalidArgument, 429 and
5xx Unavailable; an unreachable registry is Unavailable.
"""

from __future__ import annotations

import asyncio
import copy
import os
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
from yarl import URL

from dockyard import errdefs
from dockyard.distribution.auth import Authorizer
from dockyard.distribution.hosts import Endpoint, RegistryHosts
from dockyard.utils import jsonfast

READ_SIZE = 1 << 20  # bytes per read of a blob body: few wake-ups, few thread hand-offs
USER_AGENT = "dockyard/0.1"


class Transport:
    """One aiohttp session for every registry, and how requests go out on it."""

    def __init__(
        self,
        *,
        hosts: RegistryHosts,
        authorizer: Authorizer,
        limit_per_host: int,
        retries: int,
        backoff: float,
        trace_configs: Sequence[aiohttp.TraceConfig],
    ) -> None:
        self.hosts = hosts
        self.authorizer = authorizer
        self.retries = retries
        self.backoff = backoff
        self._limit_per_host = limit_per_host
        self._trace_configs = list(trace_configs)
        self._shared = _Shared()

    def with_authorizer(self, authorizer: Authorizer) -> Transport:
        """The same session and endpoint choices, other credentials."""
        other = copy.copy(self)
        other.authorizer = authorizer
        return other

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session, made on first use (inside the running loop, as aiohttp asks)."""
        shared = self._shared
        if shared.session is None or shared.session.closed:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=self._limit_per_host)
            shared.session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120),
                headers={"User-Agent": USER_AGENT},
                read_bufsize=4 * READ_SIZE,
                trace_configs=self._trace_configs or None,
                auto_decompress=False,  # blobs are stored as served, digests are of those bytes
            )
        return shared.session

    async def close(self) -> None:
        if self._shared.session is not None:
            await self._shared.session.close()
            self._shared.session = None

    async def request(
        self,
        method: str,
        domain: str,
        path: str,
        *,
        scopes: Sequence[str] = (),
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        data: Any = None,
        push: bool = False,
    ) -> tuple[aiohttp.ClientResponse, Endpoint]:
        """Send to the domain's endpoints in turn; returns the response (caller releases)
        and the endpoint that gave it. Falls through to the next endpoint when one cannot be
        reached over its scheme, or when a mirror lacks the object."""
        errors: list[str] = []
        endpoints = self.endpoints(domain, push=push)
        for index, endpoint in enumerate(endpoints):
            url = URL(endpoint.base_url + path)
            if params:
                url = url.update_query(params)
            last = index == len(endpoints) - 1
            try:
                resp = await self._send(
                    method, endpoint, domain, url, scopes=scopes, headers=headers, data=data,
                    fallback=not last,
                )  # fmt: skip
            except _Fallback as err:
                errors.append(str(err))
                continue
            if endpoint.mirror and not last and (resp.status == 404 or resp.status >= 500):
                resp.release()
                continue
            self._shared.preferred[(domain, push)] = endpoint
            return resp, endpoint
        raise errdefs.Unavailable("; ".join(errors) or f"no endpoint for registry {domain}")

    async def request_url(
        self,
        method: str,
        domain: str,
        url: URL,
        *,
        headers: dict[str, str] | None = None,
        data: Any = None,
        push: bool = False,
        scopes: Sequence[str] = (),
    ) -> tuple[aiohttp.ClientResponse, Endpoint]:
        """A request to a URL the registry gave us (an upload's Location)."""
        endpoint = (
            self._shared.preferred.get((domain, push)) or self.endpoints(domain, push=push)[0]
        )
        resp = await self._send(
            method, endpoint, domain, url, scopes=scopes, headers=headers, data=data,
            fallback=False,
        )  # fmt: skip
        return resp, endpoint

    def endpoints(self, domain: str, *, push: bool) -> list[Endpoint]:
        endpoints = self.hosts.endpoints(domain, push=push)
        preferred = self._shared.preferred.get((domain, push))
        if preferred is None or preferred not in endpoints:
            return endpoints
        if preferred.mirror:  # the upstream stays behind it, for what the mirror lacks
            return [preferred, *(e for e in endpoints if e != preferred)]
        # Once a scheme has answered, stay with it: a registry that goes away mid-pull is
        # retried there, not "fallen back" from HTTP to HTTPS.
        return [preferred]

    async def _send(
        self,
        method: str,
        endpoint: Endpoint,
        domain: str,
        url: URL,
        *,
        scopes: Sequence[str],
        headers: dict[str, str] | None,
        data: Any,
        fallback: bool,
    ) -> aiohttp.ClientResponse:
        """One logical request: the 401 challenge round and retries with back-off."""
        repeatable = method in ("GET", "HEAD") and not isinstance(data, AsyncIterator)
        failures = 0
        challenged = False
        while True:
            sent = await self.authorizer.authorization(self.session, endpoint, domain, scopes)
            request_headers = dict(headers or {})
            if sent is not None:
                request_headers["Authorization"] = sent
            try:
                resp = await self.session.request(
                    method,
                    url,
                    headers=request_headers,
                    data=data,
                    ssl=endpoint.ssl if endpoint.ssl is not None else False,
                )
            except (aiohttp.ClientConnectionError, TimeoutError) as err:
                reason = f'{method.title()} "{url}": {describe(err)}'
                if fallback:  # another endpoint (plain HTTP, or upstream) is next: move on
                    raise _Fallback(reason) from err
                connected = not isinstance(err, aiohttp.ClientConnectorError)
                failures += 1
                if (connected and not repeatable) or failures > self.retries or _is_tls(err):
                    raise errdefs.Unavailable(reason) from err
                await asyncio.sleep(self.delay(failures))
                continue
            if resp.status == 401 and not challenged:
                challenged = True
                retry = self.authorizer.unauthorized(
                    endpoint, resp.headers.getall("WWW-Authenticate", []), sent
                )
                if retry and not isinstance(data, AsyncIterator):
                    resp.release()
                    continue
            if repeatable and (resp.status == 429 or resp.status >= 500):
                failures += 1
                if failures <= self.retries:
                    resp.release()
                    await asyncio.sleep(self.delay(failures))
                    continue
            return resp

    def delay(self, failures: int) -> float:
        return float(min(self.backoff * (2 ** (failures - 1)), 5.0))


class _Shared:
    """What every Transport made from one another shares: the session (and so its
    connection pool) and which endpoint of each registry answered."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.preferred: dict[tuple[str, bool], Endpoint] = {}


class _Fallback(Exception):
    """This endpoint cannot be reached over its scheme; try the next one."""


async def raise_for(resp: aiohttp.ClientResponse, what: str) -> None:
    """Raise the error kind for a failed registry answer, with the registry's own words."""
    body = await resp.content.read(64 << 10) if resp.method != "HEAD" else b""
    detail = registry_errors(body)
    status = resp.status
    if status == 404:
        detail = detail or (
            "manifest unknown: manifest unknown" if "manifest" in what else "not found"
        )
        raise errdefs.NotFound(f"{what} not found: {detail}")
    if status == 401:
        raise errdefs.FailedPrecondition(detail or "unauthorized: authentication required")
    if status == 403:
        raise errdefs.FailedPrecondition(
            detail or "denied: requested access to the resource is denied"
        )
    if status in (400, 405, 411, 413, 416):
        raise errdefs.InvalidArgument(f"{what}: {detail or f'{status} {resp.reason}'}")
    if status == 429 or status >= 500:
        raise errdefs.Unavailable(f"{what}: {detail or f'{status} {resp.reason}'}")
    raise errdefs.Unknown(f"{what}: unexpected status {status} {resp.reason} {detail}".rstrip())


def registry_errors(body: bytes) -> str:
    """distribution's errcode rendering: "manifest unknown: manifest unknown"; "" if none."""
    try:
        document = jsonfast.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return body[:200].decode(errors="replace").strip()
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for error in errors:
        if isinstance(error, dict):
            code = str(error.get("code", "unknown")).lower().replace("_", " ")
            parts.append(f"{code}: {error.get('message', '')}".rstrip(": "))
    return "; ".join(parts)


async def read_limited(resp: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    length = resp.content_length
    if length is not None and length > limit:
        raise errdefs.InvalidArgument(f"{what} is {length} bytes, more than the {limit} allowed")
    data = await resp.content.read(limit + 1) if length is None else await resp.read()
    if len(data) > limit:
        raise errdefs.InvalidArgument(f"{what} is more than the {limit} bytes allowed")
    return data


def _is_tls(err: BaseException) -> bool:
    return isinstance(err, aiohttp.ClientSSLError) or isinstance(
        getattr(err, "os_error", None), ssl.SSLError
    )


def describe(err: BaseException) -> str:
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        return f"x509: {err.certificate_error}"
    if isinstance(err, aiohttp.ClientConnectorError):
        code = err.os_error.errno
        reason = os.strerror(code).lower() if code else str(err.os_error)
        return f"dial tcp {err.host}:{err.port}: connect: {reason}"
    if isinstance(err, TimeoutError):
        return "timeout"
    return str(err) or type(err).__name__
