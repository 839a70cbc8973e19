"""docker's `--filter key=value` flags (opts.FilterOpt) and config.json's "pruneFilters".

The flag parser has already refused a value without "=" (flag type "filter", pflag's
text and status 125). Filters are sent as the Go client's filters.Args: {"key": {"value":
true}}.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from dockyard.cli.app import Cli

    Filters = dict[str, dict[str, bool]]


def parse_filters(values: Iterable[str]) -> Filters:
    """filters.ParseFlag over every value: key trimmed and lower-cased, value trimmed; a key
    given twice collects both values."""
    found: Filters = {}
    for value in values:
        key, _, val = value.partition("=")
        found.setdefault(key.strip().lower(), {})[val.strip()] = True
    return found


def add_filter(filters: Filters, key: str, value: str) -> None:
    filters.setdefault(key, {})[value] = True


def prune_filters(cli: Cli, filters: Filters) -> Filters:
    """docker's command.PruneFilters: config.json's "pruneFilters" join the flags' (a label
    filter given on the command line wins over its opposite in the config). A copy."""
    merged = {k: dict(v) for k, v in filters.items()}
    for item in cli.config.data.get("pruneFilters") or []:
        key, sep, value = str(item).partition("=")
        if not sep:
            continue
        if key == "label" and value in merged.get("label!", {}):
            continue
        if key == "label!" and value in merged.get("label", {}):
            continue
        add_filter(merged, key, value)
    return merged
