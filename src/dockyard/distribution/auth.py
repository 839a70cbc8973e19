"""Registry authorization: WWW-Authenticate challenges, bearer tokens, and `docker login`.

The flow (distribution's token spec, docs/spec/auth/token.md, as containerd's docker
authorizer runs it): a request without credentials gets 401 and a challenge,

    WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry",
                      scope="repository:library/alpine:pull"
    WWW-Authenticate: Basic realm="Registry Realm"

and is sent again with `Authorization: Basic base64(user:pass)` for Basic, or for Bearer with a
token from `GET realm?service=...&scope=...` (basic credentials attached when we have them; an
identity token is exchanged with an OAuth2 `POST realm grant_type=refresh_token` instead). The
token answer carries `token` or `access_token` and `expires_in` (at least 60 s, as Docker
reads it). Once a host has challenged, its later requests carry credentials up front, and
tokens are cached per (host, realm, service, scopes) until they expire.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import aiohttp

from dockyard import errdefs
from dockyard.distribution.credentials import AuthConfig, DockerConfig, server_key
from dockyard.distribution.hosts import Endpoint
from dockyard.utils import jsonfast
from dockyard.utils.record import field, record

CredentialsProvider = Callable[[str], Awaitable[AuthConfig | None]]
MIN_TOKEN_LIFETIME = 60.0  # seconds; a shorter or missing expires_in counts as this
CLIENT_ID = "dockyard"
_PARAM = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')
_SCHEME = re.compile(r"\s*,?\s*([A-Za-z][A-Za-z0-9_.-]*)(?=\s|$|,)")


def basic_authorization(username: str, password: str) -> str:
    """The Authorization header value of HTTP basic auth (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def pull_scope(path: str) -> str:
    return f"repository:{path}:pull"


def push_scope(path: str) -> str:
    return f"repository:{path}:pull,push"


@record(frozen=True)
class Challenge:
    """One WWW-Authenticate challenge: scheme ("bearer" or "basic") and its parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """Every challenge in the WWW-Authenticate header values, in order (RFC 7235 §4.1)."""
    found: list[Challenge] = []
    for header in headers:
        position = 0
        while position < len(header):
            scheme = _SCHEME.match(header, position)
            if scheme is None:
                break
            position = scheme.end()
            params: dict[str, str] = {}
            while (param := _PARAM.match(header, position)) is not None and param.group(0):
                value = param.group(2)
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                params[param.group(1).lower()] = value
                position = param.end()
            found.append(Challenge(scheme=scheme.group(1).lower(), params=params))
    return found


@record(frozen=True)
class _Token:
    value: str
    expires: float  # time.monotonic() deadline


class Authorizer:
    """Per-host challenges and cached tokens; builds the Authorization header of a request.

    `credentials(domain)` supplies what the user gave (config.json, or X-Registry-Auth in the
    daemon); it is asked only once a registry has challenged.
    """

    def __init__(self, credentials: CredentialsProvider | None = None) -> None:
        self._credentials = credentials
        self._challenges: dict[str, Challenge] = {}
        self._tokens: dict[tuple[str, ...], _Token] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}
        self._auth_cache: dict[str, AuthConfig | None] = {}

    async def authorization(
        self,
        session: aiohttp.ClientSession,
        endpoint: Endpoint,
        domain: str,
        scopes: Sequence[str],
    ) -> str | None:
        """The Authorization header for a request to `endpoint`, or None (no challenge yet)."""
        challenge = self._challenges.get(endpoint.host)
        if challenge is None:
            return None
        auth = await self._auth(domain, endpoint)
        if challenge.scheme == "basic":
            if auth is None or not auth.username:
                return None
            return basic_authorization(auth.username, auth.password)
        if auth is not None and auth.registry_token:
            return "Bearer " + auth.registry_token
        token = await self._token(session, endpoint, challenge, scopes, auth)
        return "Bearer " + token

    def unauthorized(self, endpoint: Endpoint, headers: Iterable[str], sent: str | None) -> bool:
        """Record a 401's challenge; True when sending the request again may succeed."""
        challenges = parse_challenges(headers)
        usable = [c for c in challenges if c.scheme == "bearer" and "realm" in c.params]
        usable += [c for c in challenges if c.scheme == "basic"]
        if not usable:
            return False
        # The scope a 401 names is about that one request (which already says its scopes);
        # remembered for the host, it would widen every later token.
        first = usable[0]
        params = {k: v for k, v in first.params.items() if k != "scope"}
        challenge = Challenge(scheme=first.scheme, params=params)
        self._challenges[endpoint.host] = challenge
        if sent is None:
            return True  # now we know what to send
        if challenge.scheme == "bearer" and sent.startswith("Bearer "):
            # The token we sent was refused (expired early, revoked): fetch a fresh one.
            stale = sent.removeprefix("Bearer ")
            self._tokens = {k: t for k, t in self._tokens.items() if t.value != stale}
            return True
        return False  # our basic credentials were refused

    async def _auth(self, domain: str, endpoint: Endpoint) -> AuthConfig | None:
        if self._credentials is None or endpoint.mirror:
            return None  # a mirror never sees the upstream registry's credentials
        if domain not in self._auth_cache:
            self._auth_cache[domain] = await self._credentials(domain)
        return self._auth_cache[domain]

    async def _token(
        self,
        session: aiohttp.ClientSession,
        endpoint: Endpoint,
        challenge: Challenge,
        scopes: Sequence[str],
        auth: AuthConfig | None,
    ) -> str:
        realm = challenge.params["realm"]
        service = challenge.params.get("service", "")
        wanted = sorted(set(scopes))
        key = (endpoint.host, realm, service, *wanted)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one fetch when parallel requests want the same token
            cached = self._tokens.get(key)
            if cached is not None and cached.expires > time.monotonic():
                return cached.value
            answer = await fetch_token(
                session, endpoint, realm=realm, service=service, scopes=wanted, auth=auth
            )
            token, lifetime = _token_of(answer, realm)
            self._tokens[key] = _Token(token, time.monotonic() + lifetime - 5.0)
            return token


async def fetch_token(
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    *,
    realm: str,
    service: str,
    scopes: Sequence[str],
    auth: AuthConfig | None,
    offline: bool = False,
) -> dict[str, Any]:
    """Ask the token server at `realm`; returns its JSON answer.

    With an identity token, the OAuth2 refresh flow (POST); otherwise GET, with basic
    credentials when we have a username. FailedPrecondition when the server refuses us.
    """
    ssl = endpoint.ssl if endpoint.ssl is not None else True
    if auth is not None and auth.identity_token:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": auth.identity_token,
            "service": service,
            "client_id": CLIENT_ID,
            "scope": " ".join(scopes),
        }
        async with session.post(realm, data=form, ssl=ssl) as resp:
            if resp.status not in (404, 405):  # no OAuth2 endpoint: fall back to GET
                return await _token_answer(resp, realm)
    query: list[tuple[str, str]] = [("service", service)] if service else []
    query += [("scope", s) for s in scopes]
    headers = {}
    if auth is not None and auth.username and not auth.identity_token:
        headers["Authorization"] = basic_authorization(auth.username, auth.password)
        query.append(("account", auth.username))
    if offline:
        query += [("offline_token", "true"), ("client_id", CLIENT_ID)]
    async with session.get(realm, params=query, headers=headers, ssl=ssl) as resp:
        return await _token_answer(resp, realm)


async def _token_answer(resp: aiohttp.ClientResponse, realm: str) -> dict[str, Any]:
    body = await resp.read()
    if resp.status != 200:
        detail = _error_detail(body) or resp.reason or ""
        kind = errdefs.FailedPrecondition if resp.status in (401, 403) else errdefs.Unavailable
        raise kind(
            f"unauthorized: failed to fetch token from {realm}: {resp.status} {detail}".rstrip()
        )
    try:
        answer = jsonfast.loads(body)
    except ValueError as err:
        raise errdefs.Unavailable(f"invalid token answer from {realm}: {err}") from err
    if not isinstance(answer, dict):
        raise errdefs.Unavailable(f"invalid token answer from {realm}: not an object")
    return answer


def _token_of(answer: Mapping[str, Any], realm: str) -> tuple[str, float]:
    token = answer.get("token") or answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise errdefs.Unavailable(f"token server {realm} answered without a token")
    try:
        lifetime = float(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        lifetime = 0.0
    return token, max(lifetime, MIN_TOKEN_LIFETIME)


def _error_detail(body: bytes) -> str:
    """A short reason from an error body: registry errors, OAuth2 errors, or plain text."""
    try:
        document = jsonfast.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:200].decode(errors="replace").strip()
    if isinstance(document, dict):
        for key in ("details", "error_description", "message", "error"):
            if isinstance(document.get(key), str):
                return str(document[key])
        errors = document.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))
    return ""


@record(frozen=True)
class LoginResult:
    """What `POST /auth` answers: {"Status": "Login Succeeded", "IdentityToken": ...}."""

    status: str
    identity_token: str = ""


async def login(
    session: aiohttp.ClientSession,
    endpoints: Sequence[Endpoint],
    *,
    domain: str,
    username: str,
    password: str,
    config: DockerConfig | None = None,
) -> LoginResult:
    """`docker login`: check the credentials against the registry, then store them.

    GET /v2/ on the first endpoint that answers; on a Basic challenge the request is sent
    again with the credentials, on a Bearer challenge a token is fetched with them. Failure
    is FailedPrecondition with the registry's reason; nothing is stored then.
    """
    auth = AuthConfig(username=username, password=password)
    last: Exception | None = None
    for endpoint in endpoints:
        if endpoint.mirror:
            continue
        try:
            identity = await _verify(session, endpoint, auth)
        except (aiohttp.ClientConnectionError, TimeoutError) as err:
            last = err
            continue
        if config is not None:
            stored = AuthConfig(username=username, password=password, identity_token=identity)
            await config.store(domain, stored)
        return LoginResult(status="Login Succeeded", identity_token=identity)
    raise errdefs.Unavailable(f'Get "{endpoints[-1].base_url}": {last}')


async def _verify(session: aiohttp.ClientSession, endpoint: Endpoint, auth: AuthConfig) -> str:
    url = endpoint.base_url
    ssl = endpoint.ssl if endpoint.ssl is not None else False
    async with session.get(url, ssl=ssl) as resp:
        await resp.read()
        if resp.status == 200:
            return ""  # the registry asks for no credentials
        challenges = parse_challenges(resp.headers.getall("WWW-Authenticate", []))
        if resp.status != 401 or not challenges:
            raise errdefs.FailedPrecondition(
                f"login attempt to {url} failed with status: {resp.status} {resp.reason}"
            )
    bearer = next((c for c in challenges if c.scheme == "bearer" and "realm" in c.params), None)
    if bearer is not None:
        answer = await fetch_token(
            session,
            endpoint,
            realm=bearer.params["realm"],
            service=bearer.params.get("service", ""),
            scopes=[],
            auth=auth,
            offline=True,
        )
        _token_of(answer, bearer.params["realm"])
        refresh = answer.get("refresh_token")
        return refresh if isinstance(refresh, str) else ""
    headers = {"Authorization": basic_authorization(auth.username, auth.password)}
    async with session.get(url, headers=headers, ssl=ssl) as resp:
        await resp.read()
        if resp.status != 200:
            raise errdefs.FailedPrecondition(
                f"login attempt to {url} failed with status: {resp.status} {resp.reason}"
            )
    return ""


async def logout(domain: str, *, config: DockerConfig) -> str:
    """`docker logout`: forget the stored credentials; returns the CLI's line."""
    if await config.erase(domain):
        return f"Removing login credentials for {server_key(domain)}"
    return f"Not logged in to {server_key(domain)}"
