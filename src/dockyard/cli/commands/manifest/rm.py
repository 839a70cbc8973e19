"""`dockyard manifest rm`: delete local manifest lists."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.manifest import common
    from dockyard.cli.errors import each
    from dockyard.client.reference import normalize

    manifests = common.manifest_store(cli)

    def remove(text: str) -> None:
        target = normalize(text)
        manifests.get_list(target)
        manifests.remove(target)

    # docker joins the errors (errors.Join) into one message: one line each, exit 1.
    return each(cli, args, remove, echo=False)


COMMAND = Command(
    name="rm",
    usage="MANIFEST_LIST [MANIFEST_LIST...]",
    short="Delete one or more manifest lists from local storage",
    run=run,
    min_args=1,
)
