"""Image references as docker prints them (reference.FamiliarString) and the registry
credentials sent with them (X-Registry-Auth): what pull, push and run's pull share."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.client.reference import Named

DEFAULT_DOMAIN = "docker.io"
EMPTY_AUTH = "e30="  # base64url("{}")
OFFICIAL_PREFIX = "library/"


def familiar_name(named: Named) -> str:
    """reference.FamiliarName: docker.io/library/busybox -> busybox."""
    if named.domain != DEFAULT_DOMAIN:
        return named.name
    path = named.path
    if path.startswith(OFFICIAL_PREFIX) and "/" not in path[len(OFFICIAL_PREFIX) :]:
        return path[len(OFFICIAL_PREFIX) :]
    return path


def familiar_string(named: Named) -> str:
    """reference.FamiliarString: the familiar name with its tag and digest."""
    text = familiar_name(named)
    if named.tag:
        text += ":" + named.tag
    if named.digest:
        text += "@" + named.digest
    return text


def auth_header(cli: Cli, ref: str) -> str:
    """X-Registry-Auth for `ref` from config.json (auths, credsStore, credHelpers); without
    credentials the encoding of an empty AuthConfig ("{}"), as docker sends: dockerd refuses
    a push whose header is missing or empty ("Bad parameters and missing X-Registry-Auth")."""
    from dockyard.client import auth

    return auth.registry_auth_header(cli.config, ref) or EMPTY_AUTH
