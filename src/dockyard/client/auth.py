"""Registry credentials as the docker CLI keeps and sends them.

- Where: config.json "auths" (base64 "user:password" under "auth", plus "identitytoken"), or a
  credential helper `docker-credential-<name>` named by "credHelpers" (per registry) or
  "credsStore" (all registries) speaking the docker-credential-helpers protocol
  (`get`/`store`/`erase` on stdin/stdout).
- Which key: the registry of an image reference (docker's reference.ParseNormalizedNamed);
  Docker Hub is keyed "https://index.docker.io/v1/" (registry.IndexServer), others by host[:port].
- What is sent: X-Registry-Auth, the base64url of the AuthConfig's JSON (moby's
  registry.EncodeAuthConfig), with Go's field order and escaping.
"""

from __future__ import annotations

import base64

from dockyard import errdefs
from dockyard.client.query import dumps

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.client.configfile import ConfigFile

INDEX_SERVER = "https://index.docker.io/v1/"
DEFAULT_NAMESPACE = "docker.io"
TOKEN_USERNAME = "<token>"  # a helper's Username when Secret is an identity token
# moby's registry.AuthConfig, in its field order (json tags)
FIELDS = (
    "username",
    "password",
    "auth",
    "email",
    "serveraddress",
    "identitytoken",
    "registrytoken",
)


def registry_domain(image_ref: str) -> str:
    """The registry of a reference ("docker.io" for "busybox" or "user/app")."""
    first, slash, _ = image_ref.partition("/")
    if not slash or (
        not any(c in first for c in ".:") and first != "localhost" and first.lower() == first
    ):
        return DEFAULT_NAMESPACE
    return DEFAULT_NAMESPACE if first == "index.docker.io" else first


def server_key(image_ref: str) -> str:
    """The config.json key of a reference's registry (docker's ResolveAuthConfig)."""
    domain = registry_domain(image_ref)
    return INDEX_SERVER if domain == DEFAULT_NAMESPACE else domain


def login_server(server: str) -> str:
    """The key `docker login [SERVER]` stores under: Docker Hub's index URL for "" and
    "docker.io", else the host[:port] of the address."""
    if not server or server == DEFAULT_NAMESPACE:
        return INDEX_SERVER
    return INDEX_SERVER if server == INDEX_SERVER else convert_to_hostname(server)


def convert_to_hostname(url: str) -> str:
    """docker's credentials.ConvertToHostname: "https://h:5000/v2/" -> "h:5000"."""
    stripped = url
    if "://" in stripped:
        stripped = stripped.split("://", 1)[1]
    return stripped.split("/", 1)[0]


def encode_auth(config: dict[str, Any]) -> str:
    """X-Registry-Auth for an AuthConfig: base64url (padded) of Go's compact JSON, empty
    fields omitted, <, > and & escaped as encoding/json does."""
    fields = [f"{dumps(k)}:{dumps(str(config[k]))}" for k in FIELDS if config.get(k)]
    text = "{" + ",".join(fields) + "}"
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, esc)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return base64.urlsafe_b64encode(text.encode()).decode("ascii")


def _helper(config: ConfigFile, server: str) -> str:
    return config.cred_helpers.get(server, "") or config.creds_store


def _file_entry(config: ConfigFile, server: str) -> dict[str, Any]:
    """The auths entry for server decoded as docker's loader does (exact key, else a legacy
    key whose hostname matches)."""
    auths = config.data.get("auths")
    if not isinstance(auths, dict):
        return {}
    entry = auths.get(server)
    key = server
    if not isinstance(entry, dict):
        for k, v in auths.items():
            if isinstance(v, dict) and convert_to_hostname(k) == server:
                entry, key = v, k
                break
        else:
            return {}
    out = {k: v for k, v in entry.items() if k in FIELDS and isinstance(v, str) and v}
    encoded = out.pop("auth", "")
    if encoded:
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        if user:
            out["username"], out["password"] = user, password.strip("\x00")
    out["serveraddress"] = key
    return out


def get_credentials(config: ConfigFile, server: str) -> dict[str, Any]:
    """The AuthConfig stored for `server` (a config key): {} when there is none."""
    helper = _helper(config, server)
    entry = _file_entry(config, server)
    if not helper:
        return entry
    creds = _run_helper(helper, "get", server.encode())
    if creds is None:
        return entry
    found = dict(entry)
    username, secret = str(creds.get("Username", "")), str(creds.get("Secret", ""))
    if username == TOKEN_USERNAME:
        found["identitytoken"] = secret
    else:
        found["username"], found["password"] = username, secret
    found["serveraddress"] = server
    return found


def registry_auth_header(config: ConfigFile, image_ref: str) -> str:
    """X-Registry-Auth for pulling/pushing `image_ref`; "" when no credentials are stored."""
    creds = get_credentials(config, server_key(image_ref))
    if not any(creds.get(k) for k in ("username", "password", "identitytoken", "registrytoken")):
        return ""
    return encode_auth(creds)


def store_credentials(
    config: ConfigFile,
    server: str,
    username: str = "",
    password: str = "",
    *,
    identitytoken: str = "",
) -> None:
    """Keep the credentials `docker login` got (a helper's store, else config.json) and save
    the config. With a helper, config.json keeps an empty entry for the server, as docker."""
    helper = _helper(config, server)
    auths = config.auths
    if helper:
        secret = {"ServerURL": server, "Username": username, "Secret": password}
        if identitytoken:
            secret.update(Username=TOKEN_USERNAME, Secret=identitytoken)
        _run_helper(helper, "store", dumps(secret).encode())
        auths[server] = {}
    else:
        entry: dict[str, Any] = {}
        if username or password:
            entry["auth"] = base64.b64encode(f"{username}:{password}".encode()).decode()
        if identitytoken:
            entry["identitytoken"] = identitytoken
        auths[server] = entry
    config.save()


def erase_credentials(config: ConfigFile, server: str) -> bool:
    """`docker logout`: forget `server`'s credentials; False when none were stored."""
    helper = _helper(config, server)
    found = False
    if helper:
        found = _run_helper(helper, "erase", server.encode()) is not None
    auths = config.data.get("auths")
    if isinstance(auths, dict) and server in auths:
        del auths[server]
        config.save()
        found = True
    return found


def _run_helper(helper: str, action: str, stdin: bytes) -> dict[str, Any] | None:
    """Run `docker-credential-<helper> <action>`; None when it has no such credentials."""
    import subprocess

    program = f"docker-credential-{helper}"
    try:
        proc = subprocess.run([program, action], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise errdefs.FailedPrecondition(
            f'error getting credentials - err: exec: "{program}": executable file not found '
            "in $PATH, out: ``"
        ) from None
    out = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        if "credentials not found" in out:
            return None
        raise errdefs.Unknown(
            f"error {_verb(action)} credentials - err: exit status {proc.returncode}, out: `{out}`"
        )
    if action != "get":
        return {}
    from dockyard.utils import jsonfast

    try:
        value = jsonfast.loads(out)
    except ValueError as err:
        raise errdefs.Unknown(f"error getting credentials - err: {err}, out: `{out}`") from err
    return value if isinstance(value, dict) else None


def _verb(action: str) -> str:
    return {"get": "getting", "store": "storing", "erase": "erasing"}.get(action, action)
