"""`start`: let a created container's init exec the user process."""

from __future__ import annotations

from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import start
from dockyard.runtime.main import Context


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("start", "<container-id>", (), argv)
    if p is None:
        return 0
    need_args(p, "start", 1)
    start(ctx.store, p.args[0], ctx.log)
    return 0
