"""What the image, network, volume and builder verbs share: docker's --filter parsing, the
prune prompt, familiar references, several-errors reporting and the progress display."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TextIO

    from dockyard.cli.app import Cli
    from dockyard.client.registry import Named
    from dockyard.client.transport import Response

    Filters = dict[str, dict[str, bool]]

DEFAULT_DOMAIN = "docker.io"
EMPTY_AUTH = "e30="  # base64url("{}")
OFFICIAL_PREFIX = "library/"


def parse_filters(
    cli: Cli, values: Iterable[str], *, usage: str, label: str = "-f, --filter"
) -> Filters:
    """docker's FilterOpt (filters.ParseFlag): "name=value", name trimmed and lower-cased,
    value trimmed; sent as {"name": {"value": true}}. No "=" is a flag error (status 125)."""
    from dockyard.cli.opts.errors import FlagValueError, flag_status

    found: Filters = {}
    for value in values:
        if not value:
            continue
        name, sep, val = value.partition("=")
        if not sep:
            reason = "bad format of filter (expected name=value)"
            raise flag_status(cli, usage, FlagValueError(label, value, reason))
        found.setdefault(name.strip().lower(), {})[val.strip()] = True
    return found


def add_filter(filters: Filters, name: str, value: str) -> None:
    filters.setdefault(name, {})[value] = True


def prune_filters(cli: Cli, filters: Filters) -> Filters:
    """command.PruneFilters: config.json's "pruneFilters" join the flags' (a label filter of
    the flags wins over the opposite one in the config)."""
    try:
        configured = cli.config.data.get("pruneFilters") or []
    except (OSError, ValueError, AttributeError):
        configured = []
    for item in configured:
        key, sep, value = str(item).partition("=")
        if not sep:
            continue
        if key == "label" and value in filters.get("label!", {}):
            continue
        if key == "label!" and value in filters.get("label", {}):
            continue
        add_filter(filters, key, value)
    return filters


def confirm(cli: Cli, message: str) -> bool:
    """docker's prompt.Confirm: "<message> [y/N] ", yes only for a line "y" or "Y"."""
    cli.out.write(message + " [y/N] ")
    cli.out.flush()
    line = cli.stdin.readline().decode(errors="replace").strip()
    return line.lower() == "y"


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


def errors_status(messages: list[str]) -> None:
    """docker's errors.Join of per-object failures: every line, then status 1."""
    from dockyard.cli.command import StatusError

    if messages:
        raise StatusError("\n".join(messages), 1)


def error_line(err: BaseException) -> str:
    from dockyard.cli.main import error_text

    return error_text(err)


def show_stream(
    cli: Cli,
    response: Response,
    *,
    out: TextIO | None = None,
    aux: Callable[[dict[str, Any]], None] | None = None,
    quiet: bool = False,
) -> None:
    """jsonstream.Display of a daemon's message stream on `out` (cli.out); `quiet` reads and
    checks it without printing (docker's io.Discard)."""
    from dockyard.cli import progress

    with response:
        messages = response.json_stream()
        if quiet:
            progress.display(messages, _Discard(), terminal=False, aux=aux)
        else:
            progress.display_stream(messages, out if out is not None else cli.out, aux=aux)


class _Discard:
    """io.Discard as a TextIO-ish sink."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
