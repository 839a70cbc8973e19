"""`delete`: remove a stopped (or, with --force, any) container's resources."""

from __future__ import annotations

from dockyard.runtime.args import Flag
from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import delete
from dockyard.runtime.main import Context

FLAGS = (Flag("force", short="f", help="kill the container first if it is still running"),)


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("delete", "[options] <container-id>...", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "delete", 1, exact=False)
    for cid in p.args:
        delete(ctx.store, cid, ctx.log, force=p.flag("force"))
    return 0
