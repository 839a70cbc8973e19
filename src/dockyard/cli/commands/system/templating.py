"""`--format` for the system commands: "json" or a Go template over the raw JSON, as docker's
`version` and `info` read it."""

from __future__ import annotations

from dockyard.cli.command import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.format.template import Template


def compile_format(text: str, *, name: str = "") -> Template:
    """Parse a user's template; docker answers a parse error with status 64."""
    from dockyard import errdefs
    from dockyard.cli.format.template import parse

    source = "{{json .}}" if text == "json" else text
    try:
        return parse(source)
    except (errdefs.DockyardError, ValueError) as err:
        raise StatusError(f"template parsing error: {err}", 64) from None


def execute(template: Template, data: object) -> str:
    """Run a template; a failure while executing is a plain error (exit 1) as in docker."""
    from dockyard import errdefs

    try:
        return template.execute(data)
    except (errdefs.DockyardError, ValueError, KeyError, TypeError) as err:
        raise StatusError(str(err), 1) from None
