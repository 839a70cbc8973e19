"""`dockyard network rm`: remove one or more networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

INGRESS_WARNING = (
    "WARNING! Before removing the routing-mesh network, make sure all the nodes in your "
    "swarm run the same docker engine version. Otherwise, removal may not be effective and "
    "functionality of newly create ingress networks will be impaired.\n"
    "Are you sure you want to continue?"
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.command import StatusError
    from dockyard.cli.errors import describe
    from dockyard.cli.prompt import confirm
    from dockyard.client import networks

    status = 0
    for name in args:
        try:
            found = networks.inspect(cli.client, name)
        except errdefs.DockyardError:
            found = {}
        if found.get("Ingress") and not confirm(cli, INGRESS_WARNING):
            continue
        try:
            networks.remove(cli.client, name)
        except errdefs.DockyardError as err:
            if opts.boolean("force") and isinstance(err, errdefs.NotFound):
                continue
            cli.err.write(describe(err) + "\n")
            status = 1
            continue
        cli.out.write(name + "\n")
    if status:
        raise StatusError("exit status 1", status)
    return 0


COMMAND = Command(
    name="rm",
    usage="NETWORK [NETWORK...]",
    short="Remove one or more networks",
    aliases=("remove",),
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="force", short="f", help="Do not error if the network does not exist"),
    ),
)
