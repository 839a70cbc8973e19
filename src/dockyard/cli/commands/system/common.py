"""What the system verbs share: docker's `--filter` map, config.json's pruneFilters, the
y/N prompt, and go-units' size texts."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

    Filters = dict[str, dict[str, bool]]

_DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def parse_filters(items: list[str]) -> Filters:
    """filters.ParseFlag over every value: key trimmed and lower-cased, value trimmed,
    {"key": {"value": true}}. (The flag parser has already refused values without "=".)"""
    out: Filters = {}
    for item in items:
        key, _, value = item.partition("=")
        out.setdefault(key.strip().lower(), {})[value.strip()] = True
    return out


def prune_filters(cli: Cli, filters: Filters) -> Filters:
    """docker's command.PruneFilters: config.json's "pruneFilters" join the flags' (a label
    filter given on the command line wins over its opposite in the config)."""
    merged = {k: dict(v) for k, v in filters.items()}
    for item in cli.config.data.get("pruneFilters") or []:
        key, sep, value = str(item).partition("=")
        if not sep:
            continue
        if key == "label" and value in merged.get("label!", {}):
            continue
        if key == "label!" and value in merged.get("label", {}):
            continue
        merged.setdefault(key, {})[value] = True
    return merged


def confirm(cli: Cli, message: str) -> bool:
    """docker's prompt.Confirm: "<message> [y/N] " and yes only for a line "y"/"Y"."""
    cli.out.write(message + " [y/N] ")
    cli.out.flush()
    return cli.stdin.readline().decode(errors="replace").strip().lower() == "y"


def _size(size: float, base: int, units: tuple[str, ...]) -> str:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return f"{size:.4g}{units[i]}"


def human_size(size: float) -> str:
    """go-units HumanSize: "0B", "1.983MB" (decimal units, 4 significant digits)."""
    return _size(size, 1000, _DECIMAL_UNITS)


def bytes_size(size: float) -> str:
    """go-units BytesSize: "23.54GiB" (binary units, 4 significant digits)."""
    return _size(size, 1024, _BINARY_UNITS)
