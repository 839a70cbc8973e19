"""`kill`: signal a container's init (or, with --all, every process in it)."""

from __future__ import annotations

from dockyard.runtime.args import Flag
from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import kill, parse_signal
from dockyard.runtime.main import Context

FLAGS = (Flag("all", short="a", help="signal every process in the container"),)


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("kill", "[options] <container-id> [signal]", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "kill", 1, exact=False)
    sig = parse_signal(p.args[1] if len(p.args) > 1 else "SIGTERM")
    kill(ctx.store, p.args[0], sig, all_processes=p.flag("all"))
    return 0
