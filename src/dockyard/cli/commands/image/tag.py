"""`dockyard image tag` / `dockyard tag`: create a tag TARGET_IMAGE that refers to SOURCE_IMAGE."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.client import images
    from dockyard.client.reference import parse_named

    source, target = args
    try:
        if not _is_id(source):
            parse_named(source)
    except errdefs.DockyardError as err:
        raise errdefs.InvalidArgument(
            f'Error parsing reference: "{source}" is not a valid repository/tag: {err}'
        ) from err
    try:
        named = parse_named(target)
    except errdefs.DockyardError as err:
        raise errdefs.InvalidArgument(
            f'Error parsing reference: "{target}" is not a valid repository/tag: {err}'
        ) from err
    if named.digest:
        raise errdefs.InvalidArgument("refusing to create a tag with a digest reference")
    images.tag(cli.client, source, repo=named.name, tag=named.tag or "latest")
    return 0


def _is_id(text: str) -> bool:
    """reference.ParseAnyReference takes a full 64-hex image ID (with or without sha256:)."""
    hexpart = text.removeprefix("sha256:")
    return len(hexpart) == 64 and all(c in "0123456789abcdef" for c in hexpart)


COMMAND = Command(
    name="tag",
    usage="SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    short="Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    run=run,
    min_args=2,
    max_args=2,
)
