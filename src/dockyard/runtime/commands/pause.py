"""`pause`: freeze every process of a container."""

from __future__ import annotations

from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import pause
from dockyard.runtime.main import Context


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("pause", "<container-id>", (), argv)
    if p is None:
        return 0
    need_args(p, "pause", 1)
    pause(ctx.store, p.args[0])
    return 0
