"""Engine API system endpoints: /_ping, /version, /info, /events, /system/df, /auth.

docker-py's low-level names (APIClient.ping, version, info, events, df, login); each mirrors
the docker command named in its docstring.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from dockyard.client.transport import Client, Response


def ping(client: Client) -> str:
    """GET /_ping: "OK" when the daemon answers (unversioned, as docker pings)."""
    return client.get("/_ping", versioned=False).read().decode("utf-8", "replace")


def ping_headers(client: Client) -> dict[str, str]:
    """The headers of /_ping (Api-Version, Builder-Version, Docker-Experimental, Ostype...)."""
    resp = client.get("/_ping", versioned=False)
    resp.read()
    return resp.headers


def version(client: Client) -> dict[str, Any]:
    """GET /version (`docker version`'s Server part)."""
    result: dict[str, Any] = client.get("/version").json()
    return result


def info(client: Client) -> dict[str, Any]:
    """GET /info (`docker info`)."""
    result: dict[str, Any] = client.get("/info").json()
    return result


def events(
    client: Client,
    *,
    since: str | None = None,
    until: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> Response:
    """GET /events (`docker events`): a stream of JSON messages; read with `json_stream()`.
    `since`/`until` are what the daemon takes (unix seconds, optionally with nanoseconds as
    "1700000000.000000001"); `filters` is sent as JSON ({"type": {"container": true}})."""
    query = {
        "since": since or None,
        "until": until or None,
        "filters": dict(filters) if filters else None,
    }
    return client.get("/events", query=query)


def df(client: Client, *, types: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
    """GET /system/df (`docker system df`); `types` narrows it (container, image, volume,
    build-cache) with one `type` parameter each, as docker 28 sends them."""
    query = {"type": tuple(types)} if types else None
    result: dict[str, Any] = client.get("/system/df", query=query).json()
    return result


def auth(client: Client, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST /auth (`docker login`): {"Status": "Login Succeeded", "IdentityToken": ...}.
    `body` is docker's AuthConfig (username, password, serveraddress...)."""
    result = client.post("/auth", json=dict(body)).json()
    return result if isinstance(result, dict) else {}
