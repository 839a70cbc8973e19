"""Registry credentials: the docker CLI's config.json and its credential helpers.

`$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), as the docker CLI keeps it:

    {"auths": {"127.0.0.1:5000": {"auth": base64("user:pass")},
               "https://index.docker.io/v1/": {"auth": "...", "identitytoken": "..."}},
     "credsStore": "pass",                 # every registry through docker-credential-pass
     "credHelpers": {"gcr.io": "gcloud"}}  # per-registry helpers win over credsStore

A helper is the program `docker-credential-<name>` with the verb as its argument: `get` reads
the server URL on stdin and prints {"ServerURL", "Username", "Secret"} (Username "<token>"
means Secret is an identity token), `store` reads that JSON, `erase` reads the server URL.
Docker Hub's credentials live under the key "https://index.docker.io/v1/".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import tempfile
from typing import Any

from dockyard import errdefs
from dockyard.images.reference import (
    DEFAULT_DOMAIN,
    DEFAULT_REGISTRY_HOST,
    LEGACY_DEFAULT_DOMAIN,
)
from dockyard.utils.record import record

INDEX_SERVER = "https://index.docker.io/v1/"
TOKEN_USERNAME = "<token>"  # a helper's Username when Secret is an identity token
_NOT_FOUND = "credentials not found in native keychain"


@record(frozen=True)
class AuthConfig:
    """Credentials for one registry (the docker CLI's types.AuthConfig, X-Registry-Auth)."""

    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth2 refresh token, from `docker login` against Hub
    registry_token: str = ""  # a bearer token to send as is

    @property
    def empty(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)


def server_key(domain: str) -> str:
    """The config.json key (and helper ServerURL) of a registry domain."""
    if domain in (DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, DEFAULT_REGISTRY_HOST):
        return INDEX_SERVER
    return domain


def _hostname_of_key(key: str) -> str:
    """ConvertToHostname: "https://host:5000/v1/" -> "host:5000"."""
    stripped = key
    for prefix in ("http://", "https://"):
        stripped = stripped.removeprefix(prefix)
    return stripped.split("/", 1)[0]


def default_config_dir() -> str:
    """$DOCKER_CONFIG, else ~/.docker."""
    return os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


class DockerConfig:
    """Reads and writes credentials in one config.json, through helpers where configured."""

    def __init__(self, config_dir: str | None = None) -> None:
        self.dir = config_dir or default_config_dir()
        self.path = os.path.join(self.dir, "config.json")

    async def get(self, domain: str) -> AuthConfig | None:
        """The credentials stored for `domain`, or None."""
        document = await asyncio.to_thread(self._load)
        key = server_key(domain)
        helper = _helper_for(document, key)
        if helper:
            return await _helper_get(helper, key)
        return _from_auths(document.get("auths"), key)

    async def store(self, domain: str, auth: AuthConfig) -> None:
        """Save credentials for `domain`: into its helper when one is configured, else as
        base64 in `auths` (with `identitytoken` when there is one)."""
        document = await asyncio.to_thread(self._load)
        key = server_key(domain)
        helper = _helper_for(document, key)
        if helper:
            username, secret = auth.username, auth.password
            if auth.identity_token:
                username, secret = TOKEN_USERNAME, auth.identity_token
            payload = {"ServerURL": key, "Username": username, "Secret": secret}
            await _run_helper(helper, "store", json.dumps(payload).encode())
            # The helper holds the secret; config.json keeps an empty entry, as docker does.
            entry: dict[str, str] = {}
        else:
            password = "" if auth.identity_token else auth.password
            encoded = base64.b64encode(f"{auth.username}:{password}".encode()).decode()
            entry = {"auth": encoded}
            if auth.identity_token:
                entry["identitytoken"] = auth.identity_token
        auths = document.setdefault("auths", {})
        for old in [k for k in auths if k != key and _hostname_of_key(k) == key]:
            del auths[old]
        auths[key] = entry
        await asyncio.to_thread(self._save, document)

    async def erase(self, domain: str) -> bool:
        """Forget `domain`'s credentials; False when there were none (`Not logged in`)."""
        document = await asyncio.to_thread(self._load)
        key = server_key(domain)
        helper = _helper_for(document, key)
        found = False
        if helper:
            found = await _helper_get(helper, key) is not None
            if found:
                await _run_helper(helper, "erase", key.encode())
        auths = document.get("auths") or {}
        for old in [k for k in auths if k == key or _hostname_of_key(k) == key]:
            del auths[old]
            found = True
        if found:
            await asyncio.to_thread(self._save, document)
        return found

    def _load(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as f:
                document = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise errdefs.InvalidArgument(f"failed to read {self.path}: {err}") from err
        if not isinstance(document, dict):
            raise errdefs.InvalidArgument(f"failed to read {self.path}: not a JSON object")
        return document

    def _save(self, document: dict[str, Any]) -> None:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config.json.", dir=self.dir)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(document, f, indent="\t")
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)  # mkstemp made it 0600, which a credentials file wants
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def _helper_for(document: dict[str, Any], key: str) -> str:
    helpers = document.get("credHelpers") or {}
    if isinstance(helpers, dict):
        for name, helper in helpers.items():
            if name == key or _hostname_of_key(name) == _hostname_of_key(key):
                return str(helper)
    store = document.get("credsStore")
    return str(store) if store else ""


def _from_auths(auths: object, key: str) -> AuthConfig | None:
    if not isinstance(auths, dict):
        return None
    entry = auths.get(key)
    if entry is None:
        host = _hostname_of_key(key)
        entry = next((v for k, v in auths.items() if _hostname_of_key(k) == host), None)
    if not isinstance(entry, dict):
        return None
    username, password = entry.get("username", ""), entry.get("password", "")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(entry["auth"], validate=False).decode()
        except (binascii.Error, UnicodeDecodeError) as err:
            raise errdefs.InvalidArgument(f"invalid auth entry for {key}: {err}") from err
        username, sep, password = decoded.partition(":")
        if not sep:
            raise errdefs.InvalidArgument(f"invalid auth entry for {key}: no ':' in auth")
    auth = AuthConfig(
        username=str(username),
        password=str(password),
        identity_token=str(entry.get("identitytoken", "")),
        registry_token=str(entry.get("registrytoken", "")),
    )
    return None if auth.empty else auth


async def _helper_get(helper: str, key: str) -> AuthConfig | None:
    try:
        out = await _run_helper(helper, "get", key.encode())
    except errdefs.NotFound:
        return None
    try:
        reply = json.loads(out)
        username, secret = str(reply.get("Username", "")), str(reply.get("Secret", ""))
    except (ValueError, AttributeError) as err:
        raise errdefs.Unknown(f"docker-credential-{helper} get: invalid output: {err}") from err
    if username == TOKEN_USERNAME:
        return AuthConfig(identity_token=secret)
    auth = AuthConfig(username=username, password=secret)
    return None if auth.empty else auth


async def _run_helper(helper: str, verb: str, stdin: bytes) -> bytes:
    program = f"docker-credential-{helper}"
    try:
        proc = await asyncio.create_subprocess_exec(
            program,
            verb,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as err:
        raise errdefs.FailedPrecondition(
            f'error getting credentials - err: exec: "{program}": {err.strerror}'
        ) from err
    out, err_out = await proc.communicate(stdin)
    if proc.returncode != 0:
        message = (out.decode(errors="replace") + err_out.decode(errors="replace")).strip()
        if _NOT_FOUND in message:
            raise errdefs.NotFound(f"{program} {verb}: {message}")
        raise errdefs.Unavailable(f"{program} {verb} failed: {message or proc.returncode}")
    return out
