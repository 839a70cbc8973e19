"""WWW-Authenticate parsing and the bearer-token flow, against an in-process token server."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from dockyard import errdefs
from dockyard.distribution.auth import Authorizer, Challenge, parse_challenges
from dockyard.distribution.credentials import AuthConfig
from dockyard.distribution.hosts import Endpoint


def test_parse_challenges_reads_quoted_params_and_several_schemes() -> None:
    header = (
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push repository:c:pull", Basic realm="say \\"hi\\""'
    )
    assert parse_challenges([header]) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.example/token",
                "service": "registry.example",
                "scope": "repository:a/b:pull,push repository:c:pull",
            },
        ),
        Challenge("basic", {"realm": 'say "hi"'}),
    ]
    assert parse_challenges(["Basic realm=plain", "Negotiate"]) == [
        Challenge("basic", {"realm": "plain"}),
        Challenge("negotiate", {}),
    ]


class TokenService:
    """Counts token requests; answers `access_token` (the OAuth2 spelling) with a lifetime."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lifetime = 300

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.method == "POST" else {}
        self.requests.append(
            {
                "method": request.method,
                "scopes": request.query.getall("scope", []),
                "authorization": request.headers.get("Authorization", ""),
                "form": form,
            }
        )
        if request.headers.get("Authorization") == "Basic " + base64.b64encode(b"u:bad").decode():
            return web.json_response({"details": "incorrect username or password"}, status=401)
        n = len(self.requests)
        return web.json_response({"access_token": f"t{n}", "expires_in": self.lifetime})


@asynccontextmanager
async def token_server() -> AsyncIterator[tuple[TokenService, str]]:
    service = TokenService()
    app = web.Application()
    app.router.add_route("*", "/token", service.token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield service, f"http://127.0.0.1:{port}/token"
    finally:
        await runner.cleanup()


ENDPOINT = Endpoint(host="reg.lan", scheme="http", ssl=None)


def _challenge(realm: str) -> list[str]:
    return [f'Bearer realm="{realm}",service="reg"']


def test_tokens_are_fetched_once_per_scope_and_cached() -> None:
    async def main() -> None:
        async with token_server() as (service, realm), aiohttp.ClientSession() as session:
            creds = AuthConfig(username="u", password="p")

            async def provider(domain: str) -> AuthConfig | None:
                return creds

            authorizer = Authorizer(provider)
            scopes = ["repository:a:pull"]
            assert await authorizer.authorization(session, ENDPOINT, "reg.lan", scopes) is None
            assert authorizer.unauthorized(ENDPOINT, _challenge(realm), None)
            results = await asyncio.gather(
                *(authorizer.authorization(session, ENDPOINT, "reg.lan", scopes) for _ in range(5))
            )
            assert set(results) == {"Bearer t1"}
            other = await authorizer.authorization(
                session, ENDPOINT, "reg.lan", ["repository:b:pull,push"]
            )
            assert other == "Bearer t2"
            assert [r["scopes"] for r in service.requests] == [
                ["repository:a:pull"],
                ["repository:b:pull,push"],
            ]
            assert service.requests[0]["authorization"].startswith("Basic ")
            # A refused token is dropped and the next request fetches a fresh one.
            assert authorizer.unauthorized(ENDPOINT, _challenge(realm), "Bearer t1")
            assert await authorizer.authorization(session, ENDPOINT, "reg.lan", scopes) == (
                "Bearer t3"
            )

    asyncio.run(main())


def test_identity_tokens_use_the_oauth2_refresh_flow() -> None:
    async def main() -> None:
        async with token_server() as (service, realm), aiohttp.ClientSession() as session:

            async def provider(domain: str) -> AuthConfig | None:
                return AuthConfig(identity_token="refresh")

            authorizer = Authorizer(provider)
            authorizer.unauthorized(ENDPOINT, _challenge(realm), None)
            await authorizer.authorization(session, ENDPOINT, "reg.lan", ["repository:a:pull"])
            (request,) = service.requests
            assert request["method"] == "POST"
            assert request["form"]["grant_type"] == "refresh_token"
            assert request["form"]["refresh_token"] == "refresh"
            assert request["form"]["scope"] == "repository:a:pull"

    asyncio.run(main())


def test_a_refused_token_request_is_an_unauthorized_error() -> None:
    async def main() -> None:
        async with token_server() as (_, realm), aiohttp.ClientSession() as session:

            async def provider(domain: str) -> AuthConfig | None:
                return AuthConfig(username="u", password="bad")

            authorizer = Authorizer(provider)
            authorizer.unauthorized(ENDPOINT, _challenge(realm), None)
            with pytest.raises(errdefs.FailedPrecondition, match="incorrect username or password"):
                await authorizer.authorization(session, ENDPOINT, "reg.lan", ["repository:a:pull"])

    asyncio.run(main())


def test_basic_challenges_send_the_credentials_and_refusal_stops_retries() -> None:
    async def main() -> None:
        async def provider(domain: str) -> AuthConfig | None:
            return AuthConfig(username="u", password="p")

        authorizer = Authorizer(provider)
        async with aiohttp.ClientSession() as session:
            assert authorizer.unauthorized(ENDPOINT, ['Basic realm="r"'], None)
            sent = await authorizer.authorization(session, ENDPOINT, "reg.lan", [])
            assert sent == "Basic " + base64.b64encode(b"u:p").decode()
            assert not authorizer.unauthorized(ENDPOINT, ['Basic realm="r"'], sent)

    asyncio.run(main())


def test_mirrors_never_see_the_upstream_credentials() -> None:
    async def main() -> None:
        async def provider(domain: str) -> AuthConfig | None:
            return AuthConfig(username="u", password="p")

        mirror = Endpoint(host="mirror.lan", scheme="http", ssl=None, mirror=True)
        authorizer = Authorizer(provider)
        async with aiohttp.ClientSession() as session:
            authorizer.unauthorized(mirror, ['Basic realm="r"'], None)
            assert await authorizer.authorization(session, mirror, "docker.io", []) is None

    asyncio.run(main())
