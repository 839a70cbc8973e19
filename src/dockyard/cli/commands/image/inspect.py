"""`dockyard image inspect`: display detailed information on one or more images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format.inspect import inspect_each
    from dockyard.client import images

    platform = opts.string("platform")
    inspect_each(
        cli.out,
        args,
        lambda ref: images.inspect(cli.client, ref, platform=platform),
        fmt=opts.string("format"),
    )
    return 0


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
