"""The `exec` op: run a process in the container with `runtime exec --detach`.

The runtime returns once the process runs; the process is then re-parented to the shim (a
subreaper), which reaps it like the init. Its stdio: pipes (stdin only when asked for), or a
pty whose master arrives over a per-exec console socket. A detached exec gets /dev/null (a
detached tty exec still has its master read, and its output dropped). Exec output never goes
to the container's log.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.shim import protocol
from dockyard.shim.process import Exec
from dockyard.shim.stdio import listen_console, receive_master
from dockyard.utils import jsonfast

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    import _socket
    from typing import Any

    from dockyard.shim.server import Conn
    from dockyard.shim.service import Shim

_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _check(shim: Shim, req: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    exec_id = req.get("exec_id")
    if not (
        isinstance(exec_id, str)
        and 0 < len(exec_id) <= 128
        and set(exec_id) <= _ID_CHARS
        and not exec_id.startswith(".")
    ):
        raise errdefs.InvalidArgument(f"invalid exec id: {exec_id!r}")
    if exec_id in shim.execs:
        raise errdefs.AlreadyExists(f"exec {exec_id} already exists")
    if shim.init.exit_code is not None or shim.status not in ("running", "paused"):
        raise errdefs.FailedPrecondition(f"container {shim.cfg.id} is not running")
    process = req.get("process")
    if not isinstance(process, dict):
        raise errdefs.InvalidArgument("exec needs an OCI process object")
    return exec_id, {**process, "terminal": bool(req.get("tty"))}


def _unlink_all(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def start_exec(shim: Shim, conn: Conn, req: dict[str, Any]) -> None:
    exec_id, process = _check(shim, req)
    tty, detach = bool(req.get("tty")), bool(req.get("detach"))
    stdin = bool(req.get("stdin")) and not detach
    # absolute, but for the socket: sun_path has room for a short relative name only
    proc_file, pid_file = (os.path.join(shim.dir, f"exec-{exec_id}.{x}") for x in ("json", "pid"))
    sock_path = f"exec-{exec_id}.sock"
    ex = Exec(shim.loop, exec_id=exec_id, tty=tty)
    ex.files = [proc_file, pid_file, sock_path]
    with open(proc_file, "w") as f:
        f.write(jsonfast.dumps(process))
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    ours: list[int] = []  # [stdin write end or -1, stdout read end, stderr read end]
    theirs: list[int] = []
    console: _socket.socket | None = None
    try:
        args = ["exec", "--detach", "--pid-file", pid_file, "--process", proc_file]
        stdio: tuple[int, int, int] | None = None
        if tty:
            console = listen_console(sock_path)
            args += ["--console-socket", shim.reachable(sock_path)]
        elif detach:
            stdio = (null, null, null)
        else:
            in_r, in_w = os.pipe() if stdin else (null, -1)
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
            ours, theirs = [in_w, out_r, err_r], [in_r if stdin else -1, out_w, err_w]
            stdio = (in_r, out_w, err_w)
        inv = shim.runtime.spawn([*args, shim.cfg.id], stdio=stdio)
    except BaseException as err:
        _close(*ours, *theirs)
        if console is not None:
            console.close()
        _unlink_all(ex.files)
        if isinstance(err, OSError):
            raise errdefs.Unknown(f"failed to run the OCI runtime: {err}") from None
        raise
    finally:
        os.close(null)
    _close(*theirs)
    shim.execs[exec_id] = ex

    def ran(status: int) -> None:
        try:
            if status != 0:
                msg = shim.runtime.error(inv, status)
                raise errdefs.Unknown(f"OCI runtime exec failed: {msg}")
            with open(pid_file) as f:
                pid = int(f.read().strip())
            if console is not None:
                ex.attach_master(receive_master(console), stdin=stdin)
            elif ours:
                if ours[0] >= 0:
                    ex.attach_stdin(ours[0])
                ex.attach_pipes(ours[1], ours[2])
        except (errdefs.DockyardError, OSError, ValueError) as err:
            _close(*ours)
            shim.execs.pop(exec_id, None)
            _unlink_all(ex.files)
            if not isinstance(err, errdefs.DockyardError):
                err = errdefs.Unknown(f"failed to start exec {exec_id}: {err}")
            conn.answer(protocol.failure(err))
            return
        finally:
            if console is not None:
                console.close()
        ex.pid = pid
        ex.on_done.append(lambda: _unlink_all(ex.files))
        shim.loop.watch(pid, ex.exited)
        conn.answer({"ok": True, "pid": pid}, then_stream=not detach)
        if not detach:
            conn.stream(ex, stdout=True, stderr=True, stdin=ex.stdin, close_stdin=True)

    shim.loop.watch(inv.pid, ran, spawned=True)


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            os.close(fd)
