"""The container process: the last steps of the init before execve (runtime-spec "Process").

Everything this module needs is imported before the init forks: after pivot_root the host's
Python library is out of reach, so a lazy import there fails. The terminal's modules are
loaded by channel.preload_fd_passing() when a console is asked for, and only then.

Order (runc's standard_init): oom_score_adj and rlimits while we are still root with every
capability; no_new_privs; seccomp now if no_new_privs is off (installing a filter without it
needs CAP_SYS_ADMIN, which is about to go); bounding set; uid/gid switch with KEEPCAPS; cwd;
capset and ambient; umask; the caller's last step (the exec.fifo wait); seccomp now if
no_new_privs is on (fewest syscalls left to allow); execve.
"""

from __future__ import annotations

import os
import resource
import signal
import stat

from dockyard import errdefs
from dockyard.runtime import capabilities, syscalls
from dockyard.runtime.config import Process
from dockyard.runtime.runlog import Log

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn, Protocol

    class Filter(Protocol):
        """A prepared seccomp filter (seccomp.SeccompFilter)."""

        def load(self) -> None: ...


def lookup_executable(name: str, env: dict[str, str]) -> str:
    """exec.LookPath in the container's filesystem, with runc's error wording."""
    if "/" in name:
        candidates = [name]
    else:
        path = env.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        candidates = [os.path.join(d or ".", name) for d in path.split(":")]
    for candidate in candidates:
        try:
            st = os.stat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
            return candidate
    if "/" in name:
        raise errdefs.NotFound(f'exec: "{name}": stat {name}: no such file or directory')
    raise errdefs.NotFound(f'exec: "{name}": executable file not found in $PATH')


def home_of(uid: int) -> str:
    try:
        with open("/etc/passwd") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 6 and fields[2] == str(uid):
                    return fields[5] or "/"
    except OSError:
        pass
    return "/"


def environment(process: Process) -> dict[str, str]:
    env: dict[str, str] = {}
    for entry in process.env:
        key, _, value = entry.partition("=")
        env[key] = value
    if "HOME" not in env:
        env["HOME"] = home_of(process.user.uid)
    return env


def set_rlimits(process: Process) -> None:
    for rl in process.rlimits:
        kind = getattr(resource, rl.type, None)
        if not isinstance(kind, int):
            raise errdefs.InvalidArgument(f"unknown rlimit type {rl.type!r}")
        try:
            resource.setrlimit(kind, (rl.soft, rl.hard))
        except (ValueError, OSError) as err:
            raise errdefs.InvalidArgument(f"failed to set rlimit {rl.type}: {err}") from None


def setup_console(process: Process, console_fd: int) -> None:
    """Open a pty from the container's devpts, send the master to the console socket, make
    the slave our controlling terminal and stdio, and /dev/console (runc's setupConsole)."""
    import fcntl  # preloaded by channel.preload_fd_passing() before the fork
    import termios

    from dockyard.runtime.channel import send_fd

    master, slave = os.openpty()
    if process.console_size:
        height, width = process.console_size
        winsize = b"".join(n.to_bytes(2, "little") for n in (height, width, 0, 0))
        fcntl.ioctl(slave, termios.TIOCSWINSZ, winsize)
    slave_path = os.ttyname(slave)
    send_fd(console_fd, master, "/dev/ptmx")
    os.close(master)
    os.close(console_fd)
    if not os.path.exists("/dev/console"):
        os.close(os.open("/dev/console", os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))
    syscalls.mount(slave_path, "/dev/console", "bind", syscalls.MS_BIND, None)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    if slave > 2:
        os.close(slave)


def _close_fds(preserve_fds: int) -> None:
    """Mark every descriptor above stdio (and the preserved ones) close-on-exec."""
    keep = 3 + preserve_fds
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd < keep:
            if fd >= 3:
                os.set_inheritable(fd, True)
            continue
        try:
            os.set_inheritable(fd, False)
        except OSError:
            pass  # the listdir's own descriptor, already gone


def exec_process(
    process: Process,
    *,
    log: Log,
    seccomp: Filter | None,
    setgroups: bool,
    last_step: Callable[[], None] | None,
    preserve_fds: int = 0,
) -> NoReturn:
    """Finish the process's credentials and execve it; never returns."""
    if process.oom_score_adj is not None:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(process.oom_score_adj))
    set_rlimits(process)
    if process.no_new_privileges:
        syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)
    env = environment(process)
    path = lookup_executable(process.args[0], env)
    if seccomp is not None and not process.no_new_privileges:
        seccomp.load()
    if process.capabilities is not None:
        capabilities.drop_bounding(process.capabilities)
    user = process.user
    try:
        os.chdir(process.cwd)
        cwd_done = True
    except OSError:
        cwd_done = False  # maybe only the target user may enter it: retry after the switch
    capabilities.switch_user(user.uid, user.gid, user.additional_gids, setgroups=setgroups)
    if not cwd_done:
        try:
            os.chdir(process.cwd)
        except OSError as err:
            raise errdefs.InvalidArgument(f"chdir to cwd {process.cwd}: {err.strerror}") from None
    if process.capabilities is not None:
        capabilities.apply(process.capabilities, log)
    os.umask(0o022 if user.umask is None else user.umask)
    _close_fds(preserve_fds)
    if last_step is not None:
        last_step()
    if seccomp is not None and process.no_new_privileges:
        seccomp.load()
    # CPython ignores SIGPIPE and SIGXFSZ at start-up and ignored signals survive execve:
    # the container's `yes | head` would never end. runc's init is Go, which does not.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.execve(path, list(process.args), env)
