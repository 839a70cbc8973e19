"""The init chain: what runs between fork and execve of the container process.

    runtime (parent)         stage 1 (child)               stage 2 (grandchild, PID 1)
    ----------------         ---------------               ---------------------------
                             setns into joined namespaces
    write uid/gid maps  <--  unshare(user) "userns"
                             unshare(pid, mnt, net, ...)
                             fork ------------------------> wait "ok"
    cgroup: create, add <--  "pid" and exit
    "ok" --------------------------------------------------> unshare(cgroup), setsid
                                                            mounts, devices
    cgroup limits,      <------------------------------------ "hooks"
    prestart/createRuntime hooks, "ok" --------------------> createContainer hooks
                                                            pivot_root, console, sysctl,
                                                            hostname, masked/ro paths,
                                                            credentials (process.py)
    state.json, exit    <------------------------------------ "ready"; block on exec.fifo
    (`start` opens exec.fifo) -----------------------------> startContainer hooks, execve

Two forks because unshare(CLONE_NEWPID) only moves the caller's *children* into the new pid
namespace, and the user namespace must exist (with maps written by its parent) before the other
namespaces are made inside it. The cgroup namespace comes after the cgroup move so that the
container's cgroup is its root. `exec` runs the same chain with setns instead of unshare and
without the rootfs steps.
"""

from __future__ import annotations

import errno
import os
import sys

from dockyard import errdefs
from dockyard.runtime import hooks, namespaces, process, rootfs, security, syscalls
from dockyard.runtime.channel import Channel, ChannelClosed
from dockyard.runtime.config import Process, Spec
from dockyard.runtime.runlog import Log
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

    from dockyard.runtime.process import Filter


@record
class Request:
    """Everything the forked children need; built by the parent before fork."""

    spec: Spec
    process: Process
    channel: Channel
    log: Log
    join: list[tuple[str, str]]
    unshare_flags: int = 0
    new_userns: bool = False
    new_cgroupns: bool = False
    exec_mode: bool = False
    fifo_fd: int = -1
    console_fd: int = -1
    no_pivot: bool = False
    new_keyring: bool = True
    preserve_fds: int = 0
    mount_cgroup: Callable[[str, int], None] | None = None
    # Built by the parent before fork: libseccomp lives on the host, out of reach once the
    # child has pivoted (create) or joined the container's mount namespace (exec).
    seccomp: Filter | None = None
    state: dict[str, object] | None = None  # for createContainer/startContainer hooks


def _fail(req: Request, err: BaseException) -> NoReturn:
    if isinstance(err, ChannelClosed):
        os._exit(1)  # the runtime gave up on us and reports its own error; say nothing
    if isinstance(err, errdefs.DockyardError | OSError):
        msg = str(err)
    else:
        # No traceback module here: after pivot_root the host's library cannot be imported.
        msg = f"{type(err).__name__}: {err} (at {_where(err)})"
    try:
        req.channel.send("error", message=msg)
    except OSError:
        sys.stderr.write(msg + "\n")  # the runtime is gone; stderr is all that is left
        req.log.error(msg)
    os._exit(1)


def _where(err: BaseException) -> str:
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"


def stage1(req: Request) -> NoReturn:
    """Join and make namespaces, then fork the process that becomes the container's PID 1."""
    try:
        for kind, path in req.join:
            namespaces.join(kind, path)
        if req.new_userns:
            syscalls.unshare(syscalls.CLONE_NEWUSER)
            req.channel.send("userns")
            req.channel.expect("ok")
            os.setresgid(0, 0, 0)
            os.setresuid(0, 0, 0)
        if req.unshare_flags:
            syscalls.unshare(req.unshare_flags)
        pid = os.fork()
        if pid == 0:
            stage2(req)
        req.channel.send("pid", pid=pid)
    except BaseException as err:
        _fail(req, err)
    os._exit(0)


def stage2(req: Request) -> NoReturn:
    try:
        placed = req.channel.expect("ok")  # we are in the container's cgroup now
        if req.state is not None:
            req.state["pid"] = placed.get("pid", 0)
        if req.new_cgroupns:
            syscalls.unshare(syscalls.CLONE_NEWCGROUP)
        os.setsid()
        if req.exec_mode:
            if req.console_fd >= 0:
                process.setup_console(req.process, req.console_fd)
        else:
            _prepare_container(req)
        security.apply_labels(req.process)
        process.exec_process(
            req.process,
            log=req.log,
            seccomp=req.seccomp,
            setgroups=True,
            last_step=lambda: _last_step(req),
            preserve_fds=req.preserve_fds,
        )
    except BaseException as err:
        _fail(req, err)


def _prepare_container(req: Request) -> None:
    spec = req.spec
    if req.new_keyring:
        _join_keyring(req)
    if req.mount_cgroup is None:
        raise errdefs.Unknown("no cgroup mounter")
    rootfs.prepare(spec, req.mount_cgroup, userns=req.new_userns)
    req.channel.send("hooks")
    req.channel.expect("ok")
    if spec.hooks.get("createContainer"):
        hooks.run_all("createContainer", spec.hooks, _hook_state(req, "creating"))
    rootfs.pivot(spec.root_path, no_pivot=req.no_pivot)
    security.apply_sysctls(spec)
    if spec.hostname:
        syscalls.sethostname(spec.hostname)
    if spec.domainname:
        syscalls.setdomainname(spec.domainname)
    if req.console_fd >= 0:
        process.setup_console(req.process, req.console_fd)
    rootfs.finalize(spec)


def _join_keyring(req: Request) -> None:
    """Give the container a session keyring of its own instead of the caller's (runc does
    this unless --no-new-keyring: keys must not leak between containers)."""
    name = "_ses." + str((req.state or {}).get("id", "container"))  # runc's name for it
    try:
        key = syscalls.join_session_keyring(name)
    except OSError as err:
        if err.errno == errno.ENOSYS:
            return  # a kernel without keyrings: nothing to leak
        raise errdefs.FailedPrecondition(
            f"unable to join session keyring: {err.strerror}"
        ) from None
    # The keyring must stay searchable for the container's user once uids switch.
    syscalls.add_keyring_perm(key, syscalls.KEY_USR_SEARCH)


def _hook_state(req: Request, status: str) -> dict[str, object]:
    state = dict(req.state or {})
    state["status"] = status
    return state


def _last_step(req: Request) -> None:
    """Tell the runtime we are ready; in create mode block on exec.fifo until `start`."""
    req.channel.send("ready")
    if req.exec_mode:
        return
    req.channel.close()
    # Re-open the fifo through /proc: its host path is unreachable after pivot_root.
    fd = os.open(f"/proc/self/fd/{req.fifo_fd}", os.O_WRONLY | os.O_CLOEXEC)
    os.write(fd, b"0")
    os.close(req.fifo_fd)
    if req.spec.hooks.get("startContainer"):
        hooks.run_all("startContainer", req.spec.hooks, _hook_state(req, "created"))
    # fd stays open (close-on-exec): `start` sees EOF on the fifo exactly when execve ran.
