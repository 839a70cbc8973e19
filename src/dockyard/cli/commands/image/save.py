"""`dockyard image save` / `dockyard save`: save images to a tar archive (stdout by default)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os
    import sys

    from dockyard import errdefs
    from dockyard.client import images

    output = opts.string("output")
    platforms = [opts.string("platform")] if opts.string("platform") else []
    if not output:
        if cli.out.isatty():
            raise errdefs.InvalidArgument(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect"
            )
        response = images.save(cli.client, args, platforms=_platforms_json(platforms))
        cli.out.flush()
        sink = cli.out.buffer if hasattr(cli.out, "buffer") else sys.stdout.buffer
        with response:
            for chunk in response.chunks():
                sink.write(chunk)
        sink.flush()
        return 0
    # atomicwriter: a temporary file beside the target, renamed over it when complete.
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise errdefs.InvalidArgument(
            f'failed to save image: invalid output path: directory "{directory}" does not exist'
        )
    response = images.save(cli.client, args, platforms=_platforms_json(platforms))
    tmp = os.path.join(directory, f".tmp-{os.path.basename(output)}{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f, response:
            for chunk in response.chunks():
                f.write(chunk)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
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
