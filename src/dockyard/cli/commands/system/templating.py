"""`--format` for the system commands: "json" or a Go template over the raw JSON, as docker's
`version`, `info` and `inspect` read it; plus a small text/tabwriter for docker's aligned
"Label:<tab>value" blocks."""

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


def align(text: str, *, minwidth: int = 20, padding: int = 1) -> str:
    """Go's text/tabwriter over `text` with docker's `version`/`info` settings (minwidth 20,
    tabwidth 1, padding 1, no flags): the cells before each tab are padded to the widest cell
    of their column within each run of consecutive lines that have that column."""
    lines = text.split("\n")
    cells = [line.split("\t") for line in lines]
    widths: list[list[int]] = [[0] * (len(row) - 1) for row in cells]
    column = 0
    while True:
        any_cell = False
        start = 0
        while start < len(cells):
            if len(cells[start]) - 1 <= column:
                start += 1
                continue
            any_cell = True
            end = start
            while end < len(cells) and len(cells[end]) - 1 > column:
                end += 1
            width = max(len(cells[i][column]) + padding for i in range(start, end))
            width = max(width, minwidth)
            for i in range(start, end):
                widths[i][column] = width
            start = end
        if not any_cell:
            break
        column += 1
    out = []
    for row, row_widths in zip(cells, widths, strict=True):
        parts = [cell.ljust(w) for cell, w in zip(row[:-1], row_widths, strict=True)]
        out.append("".join(parts) + row[-1])
    return "\n".join(out)
