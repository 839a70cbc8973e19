"""`dockyard image save` / `dockyard save`: save images to a tar archive (stdout by default)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli import tarout
    from dockyard.client import images

    platforms = [opts.string("platform")] if opts.string("platform") else []
    tarout.write(
        cli,
        opts.string("output"),
        lambda: images.save(cli.client, args, platforms=_platforms_json(platforms)),
        action="save image",
    )
    return 0


def _platforms_json(values: list[str]) -> list[str]:
    """encodePlatforms: each platform as the JSON of an OCI platform."""
    from dockyard.cli.commands.image.push import _platform_json

    return [_platform_json(v) for v in values]


COMMAND = Command(
    name="save",
    usage="[OPTIONS] IMAGE [IMAGE...]",
    short="Save one or more images to a tar archive (streamed to STDOUT by default)",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="output", short="o", type="string", help="Write to a file, instead of STDOUT"),
        Flag(
            name="platform",
            type="string",
            help='Save only the given platform variant. Formatted as "os[/arch[/variant]]" '
            '(e.g., "linux/amd64")',
        ),
    ),
)
