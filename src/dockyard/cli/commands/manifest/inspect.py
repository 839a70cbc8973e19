"""`dockyard manifest inspect`: show an image manifest or manifest list, local or remote."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import common
    from dockyard.client.reference import normalize

    verbose = opts.boolean("verbose")
    insecure = opts.boolean("insecure")
    ref = normalize(args[-1])
    if len(args) == 2:
        list_ref = normalize(args[0])
        image = common.manifest_store(cli).get(list_ref, ref)
        common.print_manifest(cli, image, verbose=verbose)
        return 0
    try:
        local = common.manifest_store(cli).get_list(ref)
    except errdefs.NotFound:
        pass
    else:
        common.print_list(cli, ref, local, verbose=verbose)
        return 0
    client = common.registry_client(cli, insecure=insecure)
    try:
        image = client.get_manifest(ref)
    except errdefs.DockyardError:
        # docker tries the manifest, then a list, and reports the list's error.
        images = client.get_manifest_list(ref)
        common.print_list(cli, ref, images, verbose=verbose)
        return 0
    common.print_manifest(cli, image, verbose=verbose)
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] [MANIFEST_LIST] MANIFEST",
    short="Display an image manifest, or manifest list",
    run=run,
    min_args=1,
    max_args=2,
    flags=flags(
        Flag(name="insecure", help="Allow communication with an insecure registry"),
        Flag(
            name="verbose",
            short="v",
            help="Output additional info including layers and platform",
        ),
    ),
)
