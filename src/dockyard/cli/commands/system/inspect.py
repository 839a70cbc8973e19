"""`dockyard inspect`: low-level information on any object, found by trying each kind in
docker's order (container, image, network, volume, then swarm objects and plugins)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

    Inspector = Callable[[Cli, str, bool], Any]

ALL_TYPES = (
    "config",
    "container",
    "image",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "task",
    "volume",
)
SWARM_TYPES = frozenset({"service", "task", "node", "secret", "config"})


def _container(cli: Cli, ref: str, size: bool) -> Any:
    from dockyard.client import containers

    return containers.inspect(cli.client, ref, size=size)


def _image(cli: Cli, ref: str, size: bool) -> Any:
    from dockyard.client import images

    return images.inspect(cli.client, ref)


def _network(cli: Cli, ref: str, size: bool) -> Any:
    from dockyard.client import networks

    return networks.inspect(cli.client, ref)


def _volume(cli: Cli, ref: str, size: bool) -> Any:
    from dockyard.client import volumes

    return volumes.inspect(cli.client, ref)


def _by_path(template: str, query: dict[str, object] | None = None) -> Inspector:
    """Objects the client has no module for yet (swarm objects, plugins): GET the path."""

    def inspect(cli: Cli, ref: str, size: bool) -> Any:
        from dockyard.client.containers import quote

        return cli.client.get(template.format(quote(ref)), query=query).json()

    return inspect


# docker's inspectAutodetect order.
INSPECTORS: tuple[tuple[str, Inspector], ...] = (
    ("container", _container),
    ("image", _image),
    ("network", _network),
    ("volume", _volume),
    ("service", _by_path("/services/{}", {"insertDefaults": "1"})),
    ("task", _by_path("/tasks/{}")),
    ("node", _by_path("/nodes/{}")),
    ("plugin", _by_path("/plugins/{}/json")),
    ("secret", _by_path("/secrets/{}")),
    ("config", _by_path("/configs/{}")),
)


def _skippable(err: Exception) -> bool:
    """docker's isErrSkippable: try the next kind of object."""
    from dockyard import errdefs

    text = str(err)
    return (
        isinstance(err, errdefs.NotFound)
        or "not supported" in text
        or "invalid reference format" in text
    )


def _is_swarm_manager(cli: Cli) -> bool:
    from dockyard import errdefs
    from dockyard.cli.main import error_text
    from dockyard.client import system

    try:
        info = system.info(cli.client)
    except errdefs.DockyardError as err:
        cli.err.write(error_text(err) + "\n")
        return False
    return bool((info.get("Swarm") or {}).get("ControlAvailable"))


def find(cli: Cli, ref: str, *, kind: str, size: bool, swarm: list[bool]) -> Any:
    """The first object named `ref` (of `kind` when given); `swarm` caches whether the
    daemon manages a swarm ([] = not asked yet)."""
    from dockyard import errdefs

    for name, inspector in INSPECTORS:
        if kind and name != kind:
            continue
        if not kind and name in SWARM_TYPES:
            if not swarm:
                swarm.append(_is_swarm_manager(cli))
            if not swarm[0]:
                continue
        try:
            found = inspector(cli, ref, size)
        except errdefs.DockyardError as err:
            if not kind and _skippable(err):
                continue
            raise
        if size and name != "container":
            cli.err.write(f"WARNING: --size ignored for {name}\n")
        return found
    raise errdefs.NotFound(f"Error: No such object: {ref}")


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.format.inspect import inspect_each

    kind = opts.string("type")
    types = '", "'.join(ALL_TYPES)
    if opts.changed("type") and not kind:
        raise errdefs.InvalidArgument(f'type is empty: must be one of "{types}"')
    if kind and kind not in ALL_TYPES:
        raise errdefs.InvalidArgument(f'unknown type: "{kind}": must be one of "{types}"')
    swarm: list[bool] = []
    size = opts.boolean("size")
    inspect_each(
        cli.out,
        args,
        lambda ref: find(cli, ref, kind=kind, size=size, swarm=swarm),
        fmt=opts.string("format"),
    )
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] NAME|ID [NAME|ID...]",
    short="Return low-level information on Docker objects",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP),
        Flag(name="type", type="string", help="Only inspect objects of the given type"),
        Flag(name="size", short="s", help="Display total file sizes if the type is container"),
    ),
)
