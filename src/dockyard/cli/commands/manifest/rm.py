"""`dockyard manifest rm`: delete local manifest lists."""

from __future__ import annotations

from dockyard.cli.command import Command, Options, StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import common
    from dockyard.client.registry import normalize

    manifests = common.manifest_store(cli)
    errors = []
    for text in args:
        try:
            target = normalize(text)
            manifests.get_list(target)
            manifests.remove(target)
        except errdefs.DockyardError as err:
            errors.append(str(err))
    if errors:
        # docker joins the errors (errors.Join) into one message: one line each, exit 1.
        raise StatusError("\n".join(errors), 1)
    return 0


COMMAND = Command(
    name="rm",
    usage="MANIFEST_LIST [MANIFEST_LIST...]",
    short="Delete one or more manifest lists from local storage",
    run=run,
    min_args=1,
)
