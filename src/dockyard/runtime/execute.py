"""`exec`: start another process inside a running container.

The same init chain as create (init.py) in exec mode: stage 1 setns()es into the container
init's namespaces instead of unsharing, stage 2 joins the container's cgroup and finishes the
process's credentials with the container's seccomp profile, then execs.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.runtime import config, foreground, init, namespaces, security
from dockyard.runtime.channel import Channel, preload_fd_passing
from dockyard.runtime.container import _write_pid_file, cgroup_manager, set_subreaper, status_of
from dockyard.runtime.runlog import Log
from dockyard.runtime.state import Status, Store
from dockyard.utils.record import record, replace


@record
class ExecOptions:
    process: config.Process
    detach: bool = False
    pid_file: str = ""
    console_fd: int = -1
    preserve_fds: int = 0


def process_from_flags(
    base: config.Process | None,
    *,
    args: list[str],
    env: list[str],
    cwd: str,
    user: str,
    additional_gids: list[int],
    tty: bool,
    caps: list[str],
    no_new_privs: bool,
    apparmor: str,
) -> config.Process:
    """runc's getProcess: the container's own process object, overridden by exec's flags."""
    if not args:
        raise errdefs.InvalidArgument("exec args cannot be empty")
    proc = base or config.Process(args=tuple(args), cwd="/")
    uid, gid = proc.user.uid, proc.user.gid
    if user:
        u, _, g = user.partition(":")
        try:
            uid = int(u)
            gid = int(g) if g else gid
        except ValueError:
            raise errdefs.InvalidArgument(f"invalid --user {user!r}: want uid[:gid]") from None
    merged_env = dict(e.partition("=")[::2] for e in proc.env)
    merged_env.update(e.partition("=")[::2] for e in env)
    capabilities = proc.capabilities
    if caps and capabilities is not None:
        capabilities = config.Capabilities(
            bounding=capabilities.bounding + tuple(caps),
            effective=capabilities.effective + tuple(caps),
            inheritable=capabilities.inheritable + tuple(caps),
            permitted=capabilities.permitted + tuple(caps),
            ambient=capabilities.ambient + tuple(caps),
        )
    return replace(
        proc,
        args=tuple(args),
        env=tuple(f"{k}={v}" for k, v in merged_env.items()),
        cwd=cwd or proc.cwd,
        user=replace(
            proc.user,
            uid=uid,
            gid=gid,
            additional_gids=tuple(additional_gids) or proc.user.additional_gids,
        ),
        terminal=tty,
        console_size=None,
        capabilities=capabilities,
        no_new_privileges=no_new_privs or proc.no_new_privileges,
        apparmor_profile=apparmor or proc.apparmor_profile,
    )


def run_exec(store: Store, container_id: str, opts: ExecOptions, log: Log) -> int:
    """Exec `opts.process` in the container; the exit code, or 0 at once with --detach."""
    if not opts.detach:
        set_subreaper()
    pid = start_exec(store, container_id, opts, log)
    if opts.detach:
        return 0
    with foreground.forwarding(pid):
        return foreground.wait(pid)


def start_exec(store: Store, container_id: str, opts: ExecOptions, log: Log) -> int:
    """Start `opts.process` in the container and return its pid once it has exec'd."""
    state = store.load(container_id)
    status = status_of(store, state)
    if status == Status.STOPPED:
        raise errdefs.FailedPrecondition("cannot exec in a stopped container")
    if status == Status.PAUSED:
        raise errdefs.FailedPrecondition("cannot exec in a paused container")
    spec = config.parse(state.config, state.bundle)
    if opts.process.terminal and opts.console_fd < 0:
        raise errdefs.InvalidArgument("cannot allocate tty without a console socket")
    security.check(spec, opts.process)
    seccomp = None
    if spec.seccomp is not None:
        from dockyard.runtime import seccomp as seccomp_mod

        seccomp = seccomp_mod.prepare(spec.seccomp)
    manager = cgroup_manager(state)
    if opts.console_fd >= 0:
        preload_fd_passing()
    parent, child = Channel.pair()
    req = init.Request(
        spec=spec,
        process=opts.process,
        channel=child,
        log=log,
        join=namespaces.container_paths(state.pid, spec.namespaces),
        exec_mode=True,
        console_fd=opts.console_fd,
        preserve_fds=opts.preserve_fds,
        seccomp=seccomp,
    )
    stage1 = os.fork()
    if stage1 == 0:
        parent.close()
        init.stage1(req)
    child.close()
    pid = 0
    try:
        msg = parent.expect("pid")
        pid = int(msg["pid"])
        os.waitpid(stage1, 0)
        stage1 = 0
        manager.add(pid)
        parent.send("ok", pid=pid)
        parent.expect("ready")
        if opts.pid_file:
            _write_pid_file(opts.pid_file, pid)
        # EOF on the channel (close-on-exec) means execve has happened.
        tail = parent.recv()
        if tail is not None and tail.get("type") == "error":
            raise errdefs.DockyardError(tail.get("message", "exec failed"))
    except BaseException:
        for p in (stage1, pid):
            if p:
                try:
                    os.kill(p, 9)
                    os.waitpid(p, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        raise
    finally:
        parent.close()
    return pid
