"""`dockyard manifest create`: a local manifest list of images found in a registry."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import common
    from dockyard.client.reference import normalize

    try:
        target = normalize(args[0])
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(
            f"error parsing name for manifest list {args[0]}: {err}"
        ) from err
    manifests = common.manifest_store(cli)
    try:
        manifests.get_list(target)
    except errdefs.NotFound:
        pass  # a new list
    else:
        if not opts.boolean("amend"):
            raise errdefs.AlreadyExists(
                "refusing to amend an existing manifest list with no --amend flag"
            )
    for text in args[1:]:
        ref = normalize(text)
        image = common.get_manifest(cli, target, ref, insecure=opts.boolean("insecure"))
        manifests.save(target, ref, image)
    cli.out.write(f"Created manifest list {target}\n")
    return 0


COMMAND = Command(
    name="create",
    usage="MANIFEST_LIST MANIFEST [MANIFEST...]",
    short="Create a local manifest list for annotating and pushing to a registry",
    run=run,
    min_args=2,
    flags=flags(
        Flag(name="amend", short="a", help="Amend an existing manifest list"),
        Flag(name="insecure", help="Allow communication with an insecure registry"),
    ),
)
