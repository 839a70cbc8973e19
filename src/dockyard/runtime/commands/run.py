"""`run`: create and start; in the foreground, wait and return the container's exit code."""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.runtime import foreground
from dockyard.runtime.args import Flag
from dockyard.runtime.channel import recv_fd
from dockyard.runtime.commands._common import console_pair, need_args, parse_or_help
from dockyard.runtime.commands.create import FLAGS as CREATE_FLAGS
from dockyard.runtime.commands.create import options
from dockyard.runtime.container import create, delete, set_subreaper, start
from dockyard.runtime.main import Context

FLAGS = (*CREATE_FLAGS, Flag("detach", short="d", help="do not wait for the container"))


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("run", "[options] <container-id>", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "run", 1)
    cid = p.args[0]
    detach = p.flag("detach")
    opts = options(p)
    opts.systemd_cgroup = ctx.systemd_cgroup
    ours = -1
    if not detach:
        set_subreaper()
        opts.reap = True
        if opts.console_fd < 0 and _wants_terminal(opts.bundle):
            ours, opts.console_fd = console_pair()
    state, manager = create(ctx.store, cid, opts, ctx.log)
    if ours >= 0:
        os.close(opts.console_fd)
    try:
        start(ctx.store, cid, ctx.log, state=state, manager=manager)
    except errdefs.DockyardError:
        delete(ctx.store, cid, ctx.log, force=True, state=state, manager=manager)
        raise
    ctx.log.phase("started")
    if detach:
        return 0
    with foreground.forwarding(state.pid):
        if ours >= 0:
            master = recv_fd(ours)
            code = foreground.proxy_tty(master, state.pid)
        else:
            code = foreground.wait(state.pid)
    ctx.log.phase("container exited")
    delete(ctx.store, cid, ctx.log, force=True, state=state, manager=manager)
    ctx.log.phase("deleted")
    return code


def _wants_terminal(bundle: str) -> bool:
    from dockyard.utils import jsonfast as json

    try:
        with open(os.path.join(bundle, "config.json"), "rb") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return False  # create() reads it again and reports the problem properly
    process = doc.get("process") if isinstance(doc, dict) else None
    return bool(isinstance(process, dict) and process.get("terminal"))
