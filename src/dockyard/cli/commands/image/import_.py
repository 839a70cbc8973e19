"""`dockyard image import` / `dockyard import`: create a filesystem image from a tarball."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.commands.image.pull import platform_flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.progress import show_response
    from dockyard.client import images
    from dockyard.client.reference import parse_named

    source = args[0]
    repo = args[1] if len(args) > 1 else ""
    if repo:
        parse_named(repo)  # docker's client checks the name resolves before sending
    body: BinaryIO | None = None
    name = "-"
    if source == "-":
        body = cli.stdin
    elif source.startswith(("https://", "http://")):
        name = source
    else:
        try:
            body = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            reason = (err.strerror or str(err)).lower()
            raise errdefs.InvalidArgument(f"open {source}: {reason}") from err
    try:
        response = images.import_(
            cli.client,
            body,
            source=name,
            repo=repo,
            message=opts.string("message"),
            changes=opts.strings("change"),
            platform=opts.string("platform"),
        )
        show_response(response, cli.out)
    finally:
        if body is not None and body is not cli.stdin:
            body.close()
    return 0


COMMAND = Command(
    name="import",
    usage="[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    short="Import the contents from a tarball to create a filesystem image",
    run=run,
    min_args=1,
    max_args=2,
    flags=flags(
        Flag(
            name="change",
            short="c",
            type="list",
            help="Apply Dockerfile instruction to the created image",
        ),
        Flag(
            name="message", short="m", type="string", help="Set commit message for imported image"
        ),
        platform_flag(),
    ),
)
