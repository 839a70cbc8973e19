"""`docker inspect` output (docker/cli cli/command/inspect/inspector.go).

No format: the objects as a JSON array indented with 4 spaces (`[]` when none was found).
`json`: the same array compact. Any other format: the template runs on each object (the
decoded JSON, with Go's `missingkey=error` as docker's raw-JSON fallback sets it), one line
per object. A lookup that failed is passed in as an `InspectError`; every failure is
reported after the output, one line each, and the command exits 1 (64 for a template that
does not parse), as docker does.
"""

from __future__ import annotations

from dockyard.cli.command import StatusError
from dockyard.cli.format.gofmt import json_compact, json_indent
from dockyard.cli.format.template import TemplateError, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TextIO


class InspectError:
    """A reference that could not be inspected: `message` is the line docker prints
    ("Error: No such object: x", "Error response from daemon: No such container: x")."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def write(out: TextIO, objects: Iterable[object], *, fmt: str = "") -> None:
    """Print the objects; raise StatusError with every failure's line (exit 1, or 64 when
    the template does not parse)."""
    items = list(objects)
    errors = [o.message for o in items if isinstance(o, InspectError)]
    found = [o for o in items if not isinstance(o, InspectError)]
    if fmt in ("", "json"):
        if not found:
            out.write("[]\n")
        elif fmt == "":
            out.write(json_indent(found) + "\n")
        else:
            out.write(json_compact(found, escape_html=True) + "\n")
    else:
        errors = _write_template(out, items, fmt)
    if errors:
        raise StatusError("\n".join(errors), 1)


def _write_template(out: TextIO, items: list[object], fmt: str) -> list[str]:
    try:
        tmpl = parse(fmt)
    except TemplateError as err:
        raise StatusError(f"template parsing error: {err}", 64) from None
    tmpl.missingkey_error = True
    errors: list[str] = []
    lines: list[str] = []
    for item in items:
        if isinstance(item, InspectError):
            errors.append(item.message)
            continue
        try:
            lines.append(tmpl.execute(item) + "\n")
        except TemplateError as err:
            errors.append(f"template parsing error: {err}")
    out.write("".join(lines) if lines else "\n")
    return errors


def inspect_each(
    out: TextIO, refs: Iterable[str], get: Callable[[str], object], *, fmt: str
) -> None:
    """docker's inspect.Inspect: look every reference up with `get`, print what was found
    and raise the failures (each as docker prints it) in order, as `write` does."""
    from dockyard import errdefs
    from dockyard.cli.errors import describe

    items: list[object] = []
    for ref in refs:
        try:
            items.append(get(ref))
        except errdefs.DockyardError as err:
            items.append(InspectError(describe(err)))
    write(out, items, fmt=fmt)
