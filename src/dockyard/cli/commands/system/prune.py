"""`dockyard system prune`: remove stopped containers, unused networks, dangling (or, with
-a, all unused) images, build cache and, with --volumes, anonymous volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options
    from dockyard.cli.commands.system.common import Filters

    Pruner = Callable[[Cli, bool, Filters], tuple[int, str]]


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


def _listing(title: str, items: list[str] | None) -> str:
    return f"{title}:\n" + "".join(f"{i}\n" for i in items) if items else ""


def prune_containers(cli: Cli, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.client import containers

    report = containers.prune(cli.client, filters=filters)
    deleted = report.get("ContainersDeleted")
    return (int(report.get("SpaceReclaimed") or 0) if deleted else 0), _listing(
        "Deleted Containers", deleted
    )


def prune_networks(cli: Cli, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.client import networks

    report = networks.prune(cli.client, filters=filters)
    return 0, _listing("Deleted Networks", report.get("NetworksDeleted"))


def prune_volumes(cli: Cli, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.client import volumes

    report = volumes.prune(cli.client, filters=filters)
    deleted = report.get("VolumesDeleted")
    return (int(report.get("SpaceReclaimed") or 0) if deleted else 0), _listing(
        "Deleted Volumes", deleted
    )


def prune_images(cli: Cli, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.client import images

    query = {k: dict(v) for k, v in filters.items()}
    query["dangling"] = {"false" if all else "true": True}
    report = images.prune(cli.client, filters=query)
    deleted: list[dict[str, Any]] = report.get("ImagesDeleted") or []
    if not deleted:
        return 0, ""
    lines = [
        f"untagged: {d['Untagged']}" if d.get("Untagged") else f"deleted: {d.get('Deleted', '')}"
        for d in deleted
    ]
    return int(report.get("SpaceReclaimed") or 0), "Deleted Images:\n" + "\n".join(lines) + "\n"


def prune_build_cache(cli: Cli, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.client import build

    report = build.prune(cli.client, all=all, filters=filters)
    return int(report.get("SpaceReclaimed") or 0), _listing(
        "Deleted build cache objects", report.get("CachesDeleted")
    )


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.system.common import (
        confirm,
        human_size,
        parse_filters,
        prune_filters,
    )

    all_, volumes = opts.boolean("all"), opts.boolean("volumes")
    given = parse_filters(opts.strings("filter"))
    if volumes and "until" in given:
        raise errdefs.InvalidArgument('ERROR: The "until" filter is not supported with "--volumes"')
    filters = prune_filters(cli, given)
    if not opts.boolean("force"):
        message = confirmation_message(all=all_, volumes=volumes, filters=filters)
        if not confirm(cli, message):
            return 0  # docker's cancelled error: nothing more printed, status 0
    pruners: list[Pruner] = [prune_containers, prune_networks]
    if volumes:
        pruners.append(prune_volumes)
    pruners += [prune_images, prune_build_cache]
    reclaimed = 0
    for pruner in pruners:
        space, output = pruner(cli, all_, filters)
        reclaimed += space
        if output:
            cli.out.write(output + "\n")
    cli.out.write(f"Total reclaimed space: {human_size(reclaimed)}\n")
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
