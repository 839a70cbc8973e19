"""`dockyard image inspect`: display detailed information on one or more images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.app import Cli

INSPECT_FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about "
    "formatting output with templates"
)


def inspect_all(cli: Cli, refs: list[str], fmt: str, get: Callable[[str], Any]) -> int:
    """docker's inspect.Inspect: every object found is printed (one JSON array, or the
    template per object); each one not found is an error line, and the status is 1."""
    from dockyard import errdefs
    from dockyard.cli.commands.image.common import error_line, errors_status
    from dockyard.cli.format import inspect as inspect_format

    found: list[Any] = []
    failures: list[str] = []
    for ref in refs:
        try:
            found.append(get(ref))
        except errdefs.DockyardError as err:
            failures.append(error_line(err))
    if found or not failures:
        inspect_format.write(cli.out, found, fmt=fmt)
    errors_status(failures)
    return 0


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import images

    platform = opts.string("platform")
    return inspect_all(
        cli,
        args,
        opts.string("format"),
        lambda ref: images.inspect(cli.client, ref, platform=platform),
    )


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] IMAGE [IMAGE...]",
    short="Display detailed information on one or more images",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP),
        Flag(
            name="platform",
            type="string",
            help="Inspect a specific platform of the multi-platform image.\n"
            "If the image or the server is not multi-platform capable, the command will "
            "error out if the platform does not match.\n"
            "'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
        ),
    ),
)
