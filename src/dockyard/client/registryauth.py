"""Registry authentication as distribution's client does it, and one repository's session.

`GET /v2/` collects the challenges; a Bearer challenge gets a token from its realm for
`repository:<name>:<actions>` (Basic credentials, or a refresh token as OAuth2 form POST), a
Basic challenge gets the credentials, and an auth config with a registry token passes it
through as Bearer. `Repository` keeps the challenges and tokens of one repository on one
endpoint and adds the Authorization header to each request.
"""

from __future__ import annotations

import base64
import json
import re

from dockyard import errdefs
from dockyard.client.registryhttp import Endpoint, Response, registry_error, send
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


@record(frozen=True)
class AuthConfig:
    """Credentials for one registry, as config.json / X-Registry-Auth carry them."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""


_CHALLENGE = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')


def parse_challenges(headers: list[str]) -> dict[str, dict[str, str]]:
    """WWW-Authenticate values -> {scheme (lower case): params}."""
    out: dict[str, dict[str, str]] = {}
    for value in headers:
        scheme, _, rest = value.strip().partition(" ")
        params = {}
        for m in _CHALLENGE.finditer(rest):
            key = (m[1] or m[3]).lower()
            params[key] = m[2] if m[1] else m[4]
        out[scheme.lower()] = params
    return out


# -- HTTP ------------------------------------------------------------------------------------


class Repository:
    """One repository on one endpoint, with the challenges of its `/v2/` ping."""

    def __init__(
        self, endpoint: Endpoint, name: str, auth: AuthConfig, actions: tuple[str, ...]
    ) -> None:
        self.endpoint = endpoint
        self.name = name  # the path: "library/busybox"
        self.auth = auth
        self.actions = actions
        self.challenges: dict[str, dict[str, str]] = {}
        self._tokens: dict[str, str] = {}

    def ping(self) -> None:
        """GET /v2/ (PingV2Registry): remember how the registry wants to be asked."""
        try:
            resp = send(self.endpoint, "GET", "/v2/", headers={})
        except errdefs.Unavailable as err:
            raise errdefs.Unavailable(
                f"failed to configure transport: error pinging v2 registry: {err}"
            ) from err
        if resp.status == 401:
            self.challenges = parse_challenges(resp.headers.get("www-authenticate", []))

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        extra_scopes: tuple[str, ...] = (),
    ) -> Response:
        hdrs = dict(headers or {})
        authorization = self._authorization(extra_scopes)
        if authorization:
            hdrs["Authorization"] = authorization
        return send(self.endpoint, method, path, headers=hdrs, body=body)

    def _authorization(self, extra_scopes: tuple[str, ...]) -> str:
        a = self.auth
        if "bearer" in self.challenges:
            if a.registry_token:
                return "Bearer " + a.registry_token
            scopes = (f"repository:{self.name}:{','.join(self.actions)}", *extra_scopes)
            key = " ".join(scopes)
            if key not in self._tokens:
                self._tokens[key] = self._fetch_token(self.challenges["bearer"], scopes)
            return "Bearer " + self._tokens[key]
        if "basic" in self.challenges and (a.username or a.password):
            raw = f"{a.username}:{a.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        return ""

    def _fetch_token(self, params: Mapping[str, str], scopes: tuple[str, ...]) -> str:
        from urllib.parse import urlencode, urlsplit

        realm = params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https"):
            raise errdefs.Unavailable(f"invalid token auth challenge realm: {realm!r}")
        endpoint = Endpoint(
            scheme=parts.scheme, host=parts.netloc, skip_verify=self.endpoint.skip_verify
        )
        a = self.auth
        service = params.get("service", "")
        if a.identity_token:
            form = [("grant_type", "refresh_token"), ("refresh_token", a.identity_token)]
            form += [("service", service), ("client_id", "docker")]
            form += [("scope", s) for s in scopes]
            resp = send(
                endpoint, "POST", realm, body=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
        else:
            query = [("scope", s) for s in scopes] + [("service", service)]
            headers = {}
            if a.username or a.password:
                query.append(("account", a.username))
                raw = f"{a.username}:{a.password}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
            sep = "&" if "?" in realm else "?"
            resp = send(endpoint, "GET", realm + sep + urlencode(query), headers=headers)
        if resp.status != 200:
            raise registry_error(resp.status, resp.body)
        try:
            answer = json.loads(resp.body)
            token = answer.get("token") or answer.get("access_token") or ""
        except (ValueError, AttributeError):
            token = ""
        if not token:
            raise errdefs.Unknown("authorization server did not include a token in the response")
        return str(token)
