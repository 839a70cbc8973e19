"""`dockyard context ls`: list contexts, the current one starred."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

OVERRIDE_WARNING = (
    "Warning: DOCKYARD_HOST environment variable overrides the active context. "
    "To use a context, either set the global --context flag, or unset DOCKYARD_HOST "
    "environment variable.\n"
)


def rows(cli: Cli) -> list[dict[str, Any]]:
    """Every context with the current one marked; a current context that does not exist is
    listed with its error, as docker lists it."""
    from dockyard import errdefs
    from dockyard.cli.commands.context.common import default_context
    from dockyard.cli.commands.context.show import current_context
    from dockyard.client import contexts

    current = current_context(cli)
    found: list[dict[str, Any]] = []
    try:
        default = default_context(cli)
        found.append(
            {
                "Name": default.name,
                "Current": current == default.name,
                "Description": default.description,
                "DockerEndpoint": default.host,
            }
        )
    except errdefs.DockyardError as err:
        found.append(
            {"Name": contexts.DEFAULT, "Current": current == contexts.DEFAULT, "Error": str(err)}
        )
    for ctx in contexts.list_contexts(cli.config_dir):
        found.append(
            {
                "Name": ctx.name,
                "Current": ctx.name == current,
                "Description": ctx.description,
                "DockerEndpoint": ctx.host,
            }
        )
    if not any(row["Current"] for row in found):
        error = ""
        try:
            contexts.get(cli.config_dir, current)
        except errdefs.DockyardError as err:
            error = str(err)
        found.append({"Name": current, "Current": True, "Error": error})
    return found


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard.cli.format import contexts, formatter
    from dockyard.cli.format.display import natural_key

    found = sorted(rows(cli), key=lambda c: natural_key(str(c["Name"])))
    fmt = contexts.context_format(opts.string("format"), quiet=opts.boolean("quiet"))
    # "Current" in the header: Go reads a key missing from docker's header map as empty (so
    # `{{if .Current}}` is false there); our formatter's header refuses the field instead.
    header = {**contexts.HEADER, "Current": ""}
    formatter.write(cli.out, fmt, [contexts.ClientContext(c) for c in found], header)
    if os.environ.get("DOCKYARD_HOST"):
        cli.err.write(OVERRIDE_WARNING)
    return 0


COMMAND = Command(
    name="ls",
    usage="[OPTIONS]",
    short="List contexts",
    run=run,
    aliases=("list",),
    max_args=0,
    flags=flags(
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="quiet", short="q", help="Only show context names"),
    ),
)
