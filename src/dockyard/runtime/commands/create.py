"""`create`: make a container whose init waits for `start`."""

from __future__ import annotations

import os

from dockyard.runtime.args import Flag, Parsed
from dockyard.runtime.commands._common import connect_console, need_args, parse_or_help
from dockyard.runtime.container import CreateOptions, create
from dockyard.runtime.main import Context

FLAGS = (
    Flag("bundle", short="b", value=True, help="path to the bundle (default: cwd)"),
    Flag("console-socket", value=True, help="unix socket that receives the pty master"),
    Flag("pid-file", value=True, help="file to write the init's pid to"),
    Flag("no-pivot", help="use MS_MOVE and chroot instead of pivot_root"),
    Flag("no-new-keyring", help="accepted: no session keyring is made"),
    Flag("preserve-fds", value=True, help="pass N extra descriptors (from 3) to the process"),
)


def options(p: Parsed) -> CreateOptions:
    """The create/run flags shared by both verbs, as CreateOptions."""
    console = p.text("console-socket")
    return CreateOptions(
        bundle=p.text("bundle") or os.getcwd(),
        pid_file=p.text("pid-file"),
        console_fd=connect_console(console) if console else -1,
        no_pivot=p.flag("no-pivot"),
        no_new_keyring=p.flag("no-new-keyring"),
        preserve_fds=p.number("preserve-fds"),
    )


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("create", "[options] <container-id>", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "create", 1)
    opts = options(p)
    opts.systemd_cgroup = ctx.systemd_cgroup
    create(ctx.store, p.args[0], opts, ctx.log)
    return 0
