"""`dockyard image rm` / `dockyard rmi`: remove one or more images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.errors import describe, raise_joined
    from dockyard.client import images

    force = opts.boolean("force")
    failures: list[str] = []
    fatal = False
    for ref in args:
        try:
            deleted = images.remove(
                cli.client,
                ref,
                force=force,
                noprune=opts.boolean("no-prune"),
                platforms=opts.strings("platform"),
            )
        except errdefs.DockyardError as err:
            fatal = fatal or not isinstance(err, errdefs.NotFound)
            failures.append(describe(err))
            continue
        for item in deleted or []:
            if item.get("Deleted"):
                cli.out.write(f"Deleted: {item['Deleted']}\n")
            else:
                cli.out.write(f"Untagged: {item.get('Untagged', '')}\n")
    if failures and force and not fatal:
        cli.err.write("\n".join(failures) + "\n")  # -f: a missing image is not a failure
        return 0
    raise_joined(failures)
    return 0


COMMAND = Command(
    name="rm",
    usage="[OPTIONS] IMAGE [IMAGE...]",
    short="Remove one or more images",
    aliases=("remove",),
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="force", short="f", help="Force removal of the image"),
        Flag(name="no-prune", help="Do not delete untagged parents"),
        Flag(
            name="platform",
            type="stringSlice",
            help='Remove only the given platform variant. Formatted as "os[/arch[/variant]]" '
            '(e.g., "linux/amd64")',
        ),
    ),
)
