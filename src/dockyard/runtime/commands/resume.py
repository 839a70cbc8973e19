"""`resume`: thaw a paused container."""

from __future__ import annotations

from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import resume
from dockyard.runtime.main import Context


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("resume", "<container-id>", (), argv)
    if p is None:
        return 0
    need_args(p, "resume", 1)
    resume(ctx.store, p.args[0])
    return 0
