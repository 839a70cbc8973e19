"""`dockyard system prune`: remove stopped containers, unused networks, dangling (or, with
-a, all unused) images, build cache and, with --volumes, anonymous volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options
    from dockyard.cli.filters import Filters

    class Pruner(Protocol):
        def __call__(self, cli: Cli, *, all: bool, filters: Filters) -> tuple[int, str]: ...


def confirmation_message(*, all: bool, volumes: bool, filters: Filters) -> str:
    """docker's confirmationTemplate."""
    warnings = [
        "all stopped containers",
        "all networks not used by at least one container",
    ]
    if volumes:
        warnings.append("all anonymous volumes not used by at least one container")
    warnings.append(
        "all images without at least one container associated to them"
        if all
        else "all dangling images"
    )
    warnings.append("all build cache" if all else "unused build cache")
    text = "WARNING! This will remove:\n" + "".join(f"  - {w}\n" for w in warnings)
    shown = sorted(
        f"{name}={value}"
        for name in ("label", "label!", "until")
        for value in filters.get(name, {})
    )
    if shown:
        text += "\n  Items to be pruned will be filtered with:\n"
        text += "".join(f"  - {f}\n" for f in shown)
    return text + "\nAre you sure you want to continue?"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.builder import prune as builder
    from dockyard.cli.commands.container import prune as container
    from dockyard.cli.commands.image import prune as image
    from dockyard.cli.commands.network import prune as network
    from dockyard.cli.commands.volume import prune as volume
    from dockyard.cli.filters import parse_filters, prune_filters
    from dockyard.cli.prompt import confirm
    from dockyard.cli.prune import report

    all_, volumes = opts.boolean("all"), opts.boolean("volumes")
    given = parse_filters(opts.strings("filter"))
    if volumes and "until" in given:
        raise errdefs.InvalidArgument('ERROR: The "until" filter is not supported with "--volumes"')
    filters = prune_filters(cli, given)
    if not opts.boolean("force"):
        message = confirmation_message(all=all_, volumes=volumes, filters=filters)
        if not confirm(cli, message):
            return 0  # docker's cancelled error: nothing more printed, status 0
    pruners: list[Pruner] = [container.prune, network.prune]
    if volumes:
        pruners.append(volume.prune)  # its --all is not system prune's: anonymous ones only
    pruners += [image.prune, builder.prune]
    reclaimed = 0
    for pruner in pruners:
        space, output = pruner(cli, all=all_, filters=filters)
        reclaimed += space
        report(cli, 0, output, total=False)
    report(cli, reclaimed, "")
    return 0


COMMAND = Command(
    name="prune",
    usage="[OPTIONS]",
    short="Remove unused data",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
        Flag(name="all", short="a", help="Remove all unused images not just dangling ones"),
        Flag(name="volumes", help="Prune anonymous volumes"),
        Flag(
            name="filter",
            type="filter",
            help='Provide filter values (e.g. "label=<key>=<value>")',
        ),
    ),
)
