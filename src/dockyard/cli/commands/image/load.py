"""`dockyard image load` / `dockyard load`: load an image from a tar archive or STDIN."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard import errdefs
    from dockyard.cli.commands.image.save import _platforms_json
    from dockyard.cli.progress import show_response, terminal_of
    from dockyard.client import images

    path = opts.string("input")
    if not path and os.isatty(cli.stdin.fileno()):
        raise errdefs.InvalidArgument("requested load from stdin, but stdin is empty")
    platforms = [opts.string("platform")] if opts.string("platform") else []
    quiet = opts.boolean("quiet") or not terminal_of(cli.out)[0]
    source = open(path, "rb") if path else cli.stdin  # noqa: SIM115 - closed below
    try:
        response = images.load(
            cli.client, source, quiet=quiet, platforms=_platforms_json(platforms)
        )
        if response.headers.get("content-type", "").startswith("application/json"):
            show_response(response, cli.out)
        else:
            with response:
                for chunk in response.chunks():
                    cli.out.write(chunk.decode(errors="replace"))
    finally:
        if path:
            source.close()
    return 0


COMMAND = Command(
    name="load",
    usage="[OPTIONS]",
    short="Load an image from a tar archive or STDIN",
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="input",
            short="i",
            type="string",
            help="Read from tar archive file, instead of STDIN",
        ),
        Flag(
            name="platform",
            type="string",
            help='Load only the given platform variant. Formatted as "os[/arch[/variant]]" '
            '(e.g., "linux/amd64")',
        ),
        Flag(name="quiet", short="q", help="Suppress the load output"),
    ),
)
