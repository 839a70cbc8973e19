"""`exec`: run a new process in a running container."""

from __future__ import annotations

import json
import os

from dockyard import errdefs
from dockyard.runtime import config, foreground
from dockyard.runtime.args import Flag, Parsed
from dockyard.runtime.channel import recv_fd
from dockyard.runtime.commands._common import (
    connect_console,
    console_pair,
    need_args,
    parse_or_help,
)
from dockyard.runtime.container import set_subreaper
from dockyard.runtime.execute import ExecOptions, process_from_flags, run_exec, start_exec
from dockyard.runtime.main import Context

FLAGS = (
    Flag("console-socket", value=True, help="unix socket that receives the pty master"),
    Flag("cwd", value=True, help="working directory in the container"),
    Flag("env", short="e", value=True, repeat=True, help="set an environment variable"),
    Flag("tty", short="t", help="allocate a pseudo-TTY"),
    Flag("user", short="u", value=True, help="UID[:GID]"),
    Flag("additional-gids", short="g", value=True, repeat=True, help="additional gids"),
    Flag("process", short="p", value=True, help="path to a process.json"),
    Flag("detach", short="d", help="detach from the process"),
    Flag("pid-file", value=True, help="file to write the process's pid to"),
    Flag("process-label", value=True, help="SELinux label of the process"),
    Flag("apparmor", value=True, help="AppArmor profile of the process"),
    Flag("no-new-privs", help="set no_new_privs"),
    Flag("cap", short="c", value=True, repeat=True, help="add a capability"),
    Flag("preserve-fds", value=True, help="pass N extra descriptors (from 3)"),
    Flag("cgroup", value=True, repeat=True, help="accepted; sub-cgroups are not supported"),
    Flag("ignore-paused", help="accepted for runc compatibility"),
)


def _process(ctx: Context, cid: str, p_args: list[str], p: Parsed) -> config.Process:
    if p.text("process"):
        try:
            with open(p.text("process"), "rb") as f:
                doc = json.load(f)
        except (OSError, ValueError) as err:
            raise errdefs.InvalidArgument(
                f"failed to read process {p.text('process')}: {err}"
            ) from None
        if not isinstance(doc, dict):
            raise errdefs.InvalidArgument("process file must hold a JSON object")
        try:
            return config.parse_process(doc)
        except errdefs.InvalidArgument as err:
            # parse_process speaks of config.json; here the bad document is the process file
            msg = str(err).replace(
                "invalid config.json", f"invalid process file {p.text('process')}"
            )
            raise errdefs.InvalidArgument(msg) from None
    state = ctx.store.load(cid)
    base = None
    if state.config.get("process") is not None:
        base = config.parse_process(state.config["process"])
    try:
        gids = [int(g) for g in p.many("additional-gids")]
    except ValueError:
        raise errdefs.InvalidArgument("--additional-gids takes numbers") from None
    return process_from_flags(
        base,
        args=p_args,
        env=p.many("env"),
        cwd=p.text("cwd"),
        user=p.text("user"),
        additional_gids=gids,
        tty=p.flag("tty"),
        caps=p.many("cap"),
        no_new_privs=p.flag("no-new-privs"),
        apparmor=p.text("apparmor"),
    )


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("exec", "[options] <container-id> <command> [args...]", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "exec", 1, exact=False)
    cid = p.args[0]
    proc = _process(ctx, cid, p.args[1:], p)
    opts = ExecOptions(
        process=proc,
        detach=p.flag("detach"),
        pid_file=p.text("pid-file"),
        preserve_fds=p.number("preserve-fds"),
    )
    if p.text("console-socket"):
        opts.console_fd = connect_console(p.text("console-socket"))
    elif proc.terminal:
        if opts.detach:
            raise errdefs.InvalidArgument(
                "cannot allocate tty if detached without a console socket"
            )
        return _exec_with_tty(ctx, cid, opts)
    return run_exec(ctx.store, cid, opts, ctx.log)


def _exec_with_tty(ctx: Context, cid: str, opts: ExecOptions) -> int:
    """Foreground terminal: the init sends us the pty master; copy it to our stdio."""
    ours, opts.console_fd = console_pair()
    set_subreaper()
    pid = start_exec(ctx.store, cid, opts, ctx.log)
    os.close(opts.console_fd)
    master = recv_fd(ours)
    with foreground.forwarding(pid):
        return foreground.proxy_tty(master, pid)
