"""docker's formatter.Context: `--format table ...`, `json`, or a template per row.

`write(out, fmt, rows, header)` renders rows (formatter contexts: objects whose methods carry
docker's field names) as docker does (docker/cli cli/command/formatter/formatter.go):

- "table <template>": the template runs once on the header map (with docker's
  HeaderFunctions, errors ignored as docker ignores them) and once per row; all of it goes
  through the tabwriter (minwidth 10, padding 3).
- "json": `{{json .}}` per row, every field of the context (docker's MarshalJSON).
- anything else: the template per row, each followed by a newline; no header.

Before parsing, a leading "table" is dropped, surrounding spaces are trimmed and the two
characters `\\t` / `\\n` become a tab / newline, as docker's preFormat does.
"""

from __future__ import annotations

from dockyard.cli.format.template import Template, TemplateError, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import TextIO

TABLE = "table"
JSON = "json"
RAW = "raw"
QUIET_FORMAT = "{{.ID}}"


class Context:
    """Base of a row's formatter context. Subclasses define docker's fields as methods
    without arguments (`ID`, `Names`...) and list them in FIELDS for `json`."""

    GO_TYPE = "*formatter.Context"  # the name Go's errors print ("in type *formatter.X")
    FIELDS: tuple[str, ...] = ()

    def go_json(self) -> dict[str, object]:
        """docker's MarshalJSON: every field, keys sorted (a Go map)."""
        return {name: getattr(self, name)() for name in sorted(self.FIELDS)}


class Header(dict[str, str]):
    """docker's SubHeaderContext, a map[string]string with a method: `{{.ID}}` is the column
    title (a field it lacks prints "<no value>"), `{{.Label "com.x.y"}}` is the label key's
    last dot-part with - and _ as spaces."""

    GO_TYPE = "formatter.SubHeaderContext"

    def Label(self, name: str) -> str:  # docker's method name
        return name.split(".")[-1].replace("-", " ").replace("_", " ")


def is_table(fmt: str) -> bool:
    return fmt.startswith(TABLE)


def choose(
    source: str, *, default_table: str, quiet: bool, raw: str = "", quiet_raw: str = ""
) -> str:
    """docker's New<Object>Format: "" or "table" -> the default table (or the ID when
    quiet); "raw" -> the raw format; anything else is the user's template (ID when quiet)."""
    if source in (TABLE, ""):
        return QUIET_FORMAT if quiet else default_table
    if source == RAW and raw:
        return quiet_raw or QUIET_FORMAT if quiet else raw
    return QUIET_FORMAT if quiet else source


def prepare(fmt: str) -> str:
    """docker's preFormat: the template text a format string stands for."""
    if fmt.startswith(TABLE):
        text = fmt[len(TABLE) :]
    elif fmt == JSON:
        text = "{{json .}}"
    else:
        text = fmt
    return text.strip(" ").replace("\\t", "\t").replace("\\n", "\n")


def choose_format(given: str, configured: object, *, quiet: bool) -> str:
    """docker's format of a listing: --format; else config.json's (imagesFormat,
    networksFormat, volumesFormat) unless -q; else "table"."""
    if given:
        return given
    text = str(configured or "")
    return text if text and not quiet else "table"


def compile_format(fmt: str) -> Template:
    """Parse a format string; a bad one raises TemplateError("template parsing error: ...")."""
    try:
        return parse(prepare(fmt))
    except TemplateError as err:
        raise TemplateError(f"template parsing error: {err}") from None


def render(fmt: str, rows: Iterable[object], header: Mapping[str, str] | None = None) -> str:
    """The text `write` prints."""
    tmpl = compile_format(fmt)
    parts: list[str] = []
    execute = tmpl.execute
    for row in rows:
        try:
            parts.append(execute(row))
        except TemplateError as err:
            raise TemplateError(f"template parsing error: {err}") from None
        parts.append("\n")
    body = "".join(parts)
    if not is_table(fmt):
        return body
    from dockyard.cli.format.tabwriter import align
    from dockyard.cli.format.templatefuncs import HEADER_FUNCS

    title = ""
    try:
        title = tmpl.with_funcs(HEADER_FUNCS).execute(Header(header or {}))
    except TemplateError as err:
        title = getattr(err, "partial", "")  # docker prints what came before the error
    return align(title + "\n" + body)


def write(
    out: TextIO, fmt: str, rows: Iterable[object], header: Mapping[str, str] | None = None
) -> None:
    """Render and print; TemplateError (an errdefs.InvalidArgument) on a bad template."""
    out.write(render(fmt, rows, header))
