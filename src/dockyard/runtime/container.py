"""Container lifecycle on the runtime side: create, start, kill, delete, pause, resume.

Each function is one runc verb's work, given a Store (the --root directory) and a Log. The
init chain itself lives in init.py; this module drives it from the parent and keeps the
promise that a failed create leaves nothing behind: no process, no cgroup, no state dir.
"""

from __future__ import annotations

import os
import select
import time

from dockyard import errdefs
from dockyard.runtime import config, hooks, init, namespaces, security, syscalls
from dockyard.runtime.cgroups import new_manager
from dockyard.runtime.channel import Channel, preload_fd_passing
from dockyard.runtime.runlog import Log
from dockyard.runtime.state import State, Status, Store, now_rfc3339, proc_start_time
from dockyard.utils.record import record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    import signal
    from typing import Any

    from dockyard.runtime.cgroups import Manager
else:  # `signal` wraps these in enums, and enum costs ~4 ms of start-up
    import _signal as signal


@record
class CreateOptions:
    bundle: str
    pid_file: str = ""
    console_fd: int = -1  # a connected console socket (or the run command's own socketpair)
    no_pivot: bool = False
    no_new_keyring: bool = False
    preserve_fds: int = 0
    systemd_cgroup: bool = False
    reap: bool = False  # the caller is a subreaper and will wait for the init itself


def cgroup_manager(state: State) -> Manager:
    return new_manager(
        cgroups_path=state.cgroups_path, container_id=state.id, systemd=state.systemd_cgroup
    )


def status_of(store: Store, state: State, manager: Manager | None = None) -> str:
    if not store.alive(state):
        return Status.STOPPED
    manager = manager or cgroup_manager(state)
    return store.status(state, frozen=manager.frozen())


def _hooks_of(state: State, kind: str) -> config.Spec | None:
    """The spec, parsed again only when it has hooks of `kind` (start-up time)."""
    hooks_raw = state.config.get("hooks")
    if not (isinstance(hooks_raw, dict) and hooks_raw.get(kind)):
        return None
    return config.parse(state.config, state.bundle)


def _validate(spec: config.Spec, opts: CreateOptions) -> config.Process:
    if spec.process is None:
        raise errdefs.InvalidArgument("invalid config.json: process is missing")
    if not spec.has_namespace("mount"):
        raise errdefs.InvalidArgument("invalid config.json: a mount namespace is required")
    if spec.process.terminal and opts.console_fd < 0:
        raise errdefs.InvalidArgument(
            "cannot allocate tty if runc will detach without setting console socket"
        )
    if spec.hostname and not any(n.type == "uts" and not n.path for n in spec.namespaces):
        raise errdefs.InvalidArgument("unable to set hostname without a private UTS namespace")
    new_userns = any(n.type == "user" and not n.path for n in spec.namespaces)
    if new_userns and not (spec.uid_mappings and spec.gid_mappings):
        raise errdefs.InvalidArgument("user namespace requires uidMappings and gidMappings")
    security.check_sysctls(spec)
    security.check(spec, spec.process)
    namespaces.check_paths(spec.namespaces)
    return spec.process


def _write_pid_file(path: str, pid: int) -> None:
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp")
    with open(tmp, "w") as f:
        f.write(str(pid))
    os.rename(tmp, path)


def _write_id_maps(pid: int, spec: config.Spec) -> None:
    for name, maps in (("uid_map", spec.uid_mappings), ("gid_map", spec.gid_mappings)):
        text = "".join(f"{m.container_id} {m.host_id} {m.size}\n" for m in maps)
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(text)


def _host_id(mappings: tuple[config.IDMapping, ...], container_id: int) -> int:
    for m in mappings:
        if m.container_id <= container_id < m.container_id + m.size:
            return m.host_id + container_id - m.container_id
    return container_id


def _kill_and_reap(pid: int, *, ours: bool) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if ours:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def create(store: Store, container_id: str, opts: CreateOptions, log: Log) -> tuple[State, Manager]:
    """`runc create`: leave the container's init blocked on exec.fifo; return its state and
    cgroup manager."""
    bundle = os.path.abspath(opts.bundle)
    spec = config.load(bundle)
    process = _validate(spec, opts)
    manager = new_manager(
        cgroups_path=spec.cgroups_path, container_id=container_id, systemd=opts.systemd_cgroup
    )
    seccomp = None
    if spec.seccomp is not None:
        from dockyard.runtime import seccomp as seccomp_mod

        seccomp = seccomp_mod.prepare(spec.seccomp)
    if opts.console_fd >= 0:
        preload_fd_passing()
    log.phase("config parsed")
    store.reserve(container_id)
    state = State(
        id=container_id,
        bundle=bundle,
        rootfs=spec.root_path,
        pid=0,
        pid_start=0,
        created=now_rfc3339(),
        cgroups_path=spec.cgroups_path,
        oci_version=spec.oci_version,
        owner="",
        annotations=dict(spec.annotations),
        systemd_cgroup=opts.systemd_cgroup,
        config=dict(spec.raw),
    )
    stage1_pid = 0
    try:
        fifo = store.fifo(container_id)
        os.mkfifo(fifo, 0o622)
        # Writable by the container's user, whoever that is (the umask took the bits away),
        # and owned by the container's root, as runc leaves it.
        os.chmod(fifo, 0o622)
        os.chown(fifo, _host_id(spec.uid_mappings, 0), _host_id(spec.gid_mappings, 0))
        parent, child = Channel.pair()
        req = init.Request(
            spec=spec,
            process=process,
            channel=child,
            log=log,
            join=namespaces.to_join(spec.namespaces),
            unshare_flags=namespaces.new_flags(spec.namespaces, exclude=("user", "cgroup")),
            new_userns=any(n.type == "user" and not n.path for n in spec.namespaces),
            new_cgroupns=any(n.type == "cgroup" and not n.path for n in spec.namespaces),
            fifo_fd=os.open(fifo, os.O_PATH | os.O_CLOEXEC),
            console_fd=opts.console_fd,
            no_pivot=opts.no_pivot,
            new_keyring=not opts.no_new_keyring,
            preserve_fds=opts.preserve_fds,
            mount_cgroup=lambda dest, flags: manager.mount(
                dest, flags=flags, cgroupns=req.new_cgroupns
            ),
            seccomp=seccomp,
            state=state.public(Status.CREATED),
        )
        stage1_pid = os.fork()
        if stage1_pid == 0:
            parent.close()
            init.stage1(req)
        child.close()
        os.close(req.fifo_fd)
        log.phase("init forked")
        try:
            _drive_create(parent, stage1_pid, spec, manager, state, log)
        except BaseException:
            # Kill the init before closing our end: it must not wake up to a closed channel
            # and add its own complaint to the one error line we print.
            if state.pid:
                _kill_and_reap(state.pid, ours=opts.reap)
            raise
        finally:
            parent.close()
        stage1_pid = 0
        state.pid_start = proc_start_time(state.pid) or 0
        store.save(state)
        if opts.pid_file:
            _write_pid_file(opts.pid_file, state.pid)
        return state, manager
    except BaseException:
        if stage1_pid:
            _kill_and_reap(stage1_pid, ours=True)
        if state.pid:
            _kill_and_reap(state.pid, ours=opts.reap)
        try:
            manager.destroy()
        finally:
            store.remove(container_id)
        raise


def _drive_create(
    ch: Channel, stage1_pid: int, spec: config.Spec, manager: Manager, state: State, log: Log
) -> None:
    while True:
        msg = ch.recv()
        if msg is None:
            raise errdefs.Unknown("container init exited before it was ready")
        kind = msg["type"]
        if kind == "userns":
            _write_id_maps(stage1_pid, spec)
            ch.send("ok")
        elif kind == "pid":
            state.pid = int(msg["pid"])
            os.waitpid(stage1_pid, 0)
            manager.create()
            manager.add(state.pid)
            log.phase("init in its cgroup")
            ch.send("ok", pid=state.pid)
        elif kind == "hooks":
            manager.set(spec.resources)
            doc = state.public(Status.CREATING)
            doc["pid"] = state.pid
            hooks.run_all("prestart", spec.hooks, doc)
            hooks.run_all("createRuntime", spec.hooks, doc)
            log.phase("mounts made, limits set, prestart hooks run")
            ch.send("ok")
        elif kind == "ready":
            log.phase("init ready")
            return
        elif kind == "error":
            raise errdefs.DockyardError(msg.get("message", "container init failed"))
        else:
            raise errdefs.Unknown(f"unexpected message from init: {kind!r}")


def _wait_fifo(fd: int, state: State, store: Store, event: int) -> None:
    poller = select.poll()
    poller.register(fd, event)
    while not poller.poll(100):
        if not store.alive(state):
            raise errdefs.FailedPrecondition(
                f"container {state.id} init exited before its process was started"
            )


def start(
    store: Store,
    container_id: str,
    log: Log,
    *,
    state: State | None = None,
    manager: Manager | None = None,
) -> State:
    """`runc start`: release the init and return once it has exec'd the user process.
    `run` passes the state and manager it already has, sparing a reload."""
    state = state or store.load(container_id)
    status = status_of(store, state, manager)
    if status != Status.CREATED:
        raise errdefs.FailedPrecondition(
            f"cannot start a container that has {status}"
            if status == Status.STOPPED
            else f"cannot start an already {status} container"
        )
    fd = os.open(store.fifo(container_id), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _wait_fifo(fd, state, store, select.POLLIN)
        if os.read(fd, 1) != b"0":
            raise errdefs.Unknown("unexpected data on exec.fifo")
        os.unlink(store.fifo(container_id))
        # The init holds the fifo's write end close-on-exec: HUP means execve has happened.
        poller = select.poll()
        poller.register(fd, select.POLLHUP)
        while not poller.poll(100):
            if not store.alive(state):
                break
    finally:
        os.close(fd)
    spec = _hooks_of(state, "poststart")
    if spec is not None:
        try:
            hooks.run_all("poststart", spec.hooks, state.public(Status.RUNNING))
        except errdefs.DockyardError as err:
            log.warning(f"poststart hook failed: {err}")
    return state


def parse_signal(value: str) -> int:
    """A signal by number, name or SIG-name, as `runc kill` accepts it."""
    if value.isdigit():
        return int(value)
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    import signal as signals  # the enum of names; only `kill` pays for it

    try:
        return int(signals.Signals[name])
    except KeyError:
        raise errdefs.InvalidArgument(f"unknown signal {value!r}") from None


def kill(store: Store, container_id: str, sig: int, *, all_processes: bool = False) -> None:
    state = store.load(container_id)
    if status_of(store, state) == Status.STOPPED:
        raise errdefs.FailedPrecondition("container not running")
    if all_processes:
        manager = cgroup_manager(state)
        manager.freeze()
        try:
            for pid in manager.pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        finally:
            manager.thaw()
        return
    os.kill(state.pid, sig)


def _wait_gone(store: Store, state: State, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while store.alive(state):
        if time.monotonic() > deadline:
            raise errdefs.Unknown(f"container {state.id} did not exit after SIGKILL")
        time.sleep(0.005)


def delete(
    store: Store,
    container_id: str,
    log: Log,
    *,
    force: bool = False,
    state: State | None = None,
    manager: Manager | None = None,
) -> None:
    """`runc delete`: a created container is killed, a running one only with --force."""
    if state is None:
        try:
            state = store.load(container_id)
        except errdefs.NotFound:
            if force:
                return
            raise
    manager = manager or cgroup_manager(state)
    status = status_of(store, state, manager)
    if status in (Status.RUNNING, Status.PAUSED) and not force:
        raise errdefs.FailedPrecondition(
            f"cannot delete container {container_id} that is not stopped: {status}"
        )
    if status != Status.STOPPED:
        if status == Status.PAUSED:
            manager.thaw()
        os.kill(state.pid, signal.SIGKILL)
        _wait_gone(store, state)
    for pid in manager.pids() if manager.exists() else ():
        try:
            os.kill(pid, signal.SIGKILL)  # leftovers of a container without a pid namespace
        except ProcessLookupError:
            pass
    manager.destroy()
    spec = _hooks_of(state, "poststop")
    if spec is not None:
        try:
            hooks.run_all("poststop", spec.hooks, state.public(Status.STOPPED))
        except errdefs.DockyardError as err:
            log.warning(f"poststop hook failed: {err}")
    store.remove(container_id)


def pause(store: Store, container_id: str) -> None:
    state = store.load(container_id)
    status = status_of(store, state)
    if status not in (Status.RUNNING, Status.CREATED):
        raise errdefs.FailedPrecondition(f"container not running or created: {status}")
    cgroup_manager(state).freeze()


def resume(store: Store, container_id: str) -> None:
    state = store.load(container_id)
    if status_of(store, state) != Status.PAUSED:
        raise errdefs.FailedPrecondition("container not paused")
    cgroup_manager(state).thaw()


def public_state(store: Store, container_id: str) -> dict[str, Any]:
    state = store.load(container_id)
    return state.public(status_of(store, state))


def set_subreaper() -> None:
    syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
