"""`docker search` rows: searchContext (docker/cli cli/command/registry/formatter_search.go).

Items are GET /images/search results. Fields: Name, Description (newlines as spaces, cut
to 45 columns unless --no-trunc), StarCount, IsOfficial ("[OK]" in tables, true/false in
JSON).
"""

from __future__ import annotations

from dockyard.cli.format import formatter
from dockyard.cli.format.display import ellipsis

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = "table {{.Name}}\\t{{.Description}}\\t{{.StarCount}}\\t{{.IsOfficial}}"
HEADER = {
    "Name": "NAME",
    "Description": "DESCRIPTION",
    "StarCount": "STARS",
    "IsOfficial": "OFFICIAL",
}


def search_format(source: str) -> str:
    """docker's NewSearchFormat."""
    return DEFAULT_TABLE if source in ("", formatter.TABLE) else source


class SearchContext(formatter.Context):
    GO_TYPE = "*registry.searchContext"
    FIELDS = ("Description", "IsOfficial", "Name", "StarCount")
    __slots__ = ("json", "s", "trunc")

    def __init__(self, s: dict[str, Any], *, trunc: bool = True) -> None:
        self.s = s
        self.trunc = trunc
        self.json = False

    def go_json(self) -> dict[str, object]:
        self.json = True  # docker's MarshalJSON switches IsOfficial to true/false
        return super().go_json()

    def Name(self) -> str:  # docker's field names are the methods' names
        return str(self.s.get("name") or "")

    def Description(self) -> str:
        desc = str(self.s.get("description") or "").replace("\n", " ").replace("\r", " ")
        return ellipsis(desc, 45) if self.trunc else desc

    def StarCount(self) -> str:
        return str(int(self.s.get("star_count") or 0))

    def IsOfficial(self) -> str:
        value = bool(self.s.get("is_official"))
        if self.json:
            return "true" if value else "false"
        return "[OK]" if value else ""


def write(
    out: TextIO, items: Iterable[dict[str, Any]], *, fmt: str = "", trunc: bool = True
) -> None:
    """`docker search`."""
    rows = [SearchContext(s, trunc=trunc) for s in items]
    formatter.write(out, search_format(fmt), rows, HEADER)
