"""`dockyard image ls` / `dockyard images`: list images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS] [REPOSITORY[:TAG]]"
# `docker images <verb>` finding nothing probably meant `docker image <verb>`.
_VERBS = frozenset(
    (
        *("build", "history", "import", "inspect", "list", "load", "ls"),
        *("prune", "pull", "push", "rm", "save", "tag"),
    )
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.filters import add_filter, parse_filters
    from dockyard.cli.format import images as image_format
    from dockyard.cli.format.formatter import choose_format
    from dockyard.client import images

    filters = parse_filters(opts.strings("filter"))
    match = args[0] if args else ""
    if match:
        add_filter(filters, "reference", match)
    quiet, fmt = opts.boolean("quiet"), opts.string("format")
    if opts.boolean("tree"):
        for flag, name in (
            ("quiet", "--quiet"),
            ("no-trunc", "--no-trunc"),
            ("digests", "--show-digest"),
            ("format", "--format"),
        ):
            if opts.changed(flag) and (opts.boolean(flag) if flag != "format" else fmt):
                raise errdefs.InvalidArgument(f"{name} is not yet supported with --tree")
        raise errdefs.Unimplemented("--tree is not supported by dockyard")
    found = images.list(cli.client, all=opts.boolean("all"), filters=filters)
    fmt = choose_format(fmt, cli.config.data.get("imagesFormat"), quiet=quiet)
    image_format.write(
        cli.out,
        found,
        fmt=fmt,
        quiet=quiet,
        trunc=not opts.boolean("no-trunc"),
        digests=opts.boolean("digests"),
    )
    if match and not found and cli.command_path.split()[-1] == "images" and match in _VERBS:
        cli.err.write(
            f'\nNo images found matching "{match}": did you mean "docker image {match}"?\n'
        )
    return 0


COMMAND = Command(
    name="ls",
    usage=USAGE,
    short="List images",
    aliases=("list",),
    run=run,
    max_args=1,
    flags=flags(
        Flag(
            name="all",
            short="a",
            help="Show all images (default hides intermediate images)",
        ),
        Flag(name="digests", help="Show digests"),
        Flag(
            name="filter",
            short="f",
            type="filter",
            help="Filter output based on conditions provided",
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="no-trunc", help="Don't truncate output"),
        Flag(name="quiet", short="q", help="Only show image IDs"),
        Flag(name="tree", help="List multi-platform images as a tree (EXPERIMENTAL)"),
    ),
)
