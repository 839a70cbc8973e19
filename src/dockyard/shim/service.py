"""What the shim does for one container: create it, then serve the ops of the protocol.

`Shim.create()` runs before the socket exists (synchronously: the spawning parent waits on
it). Every later runtime command runs asynchronously under the loop, and its op is answered
when the command exits, so a slow runtime never stalls the container's output.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.shim import logs, protocol
from dockyard.shim.config import write_atomic
from dockyard.shim.process import Exec, Init, oom_counter_file, oom_kills
from dockyard.shim.runtime import Runtime
from dockyard.shim.stdio import listen_console, receive_master, resize
from dockyard.utils import jsonfast

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.shim.config import ShimConfig
    from dockyard.shim.loop import Loop
    from dockyard.shim.process import Process
    from dockyard.shim.runtime import Invocation
    from dockyard.shim.server import Conn, Handler

_SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes, NUL included
INIT_PID = "init.pid"
EXIT_FILE = "exit.json"
CONSOLE = "console.sock"  # in the shim's directory, which is its cwd


def _read_pid(path: str) -> int:
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError) as err:
        raise errdefs.Unknown(f"failed to read the runtime's pid file {path}: {err}") from None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _close(*fds: int) -> None:
    for fd in fds:
        if fd >= 0:
            os.close(fd)


class Shim:
    """One container's supervisor: its init, its execs and the runtime that runs them."""

    def __init__(self, cfg: ShimConfig, loop: Loop, *, log: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.loop = loop
        self.say = log  # a line in shim.log
        self.dir = os.getcwd()  # main() made it the shim's directory
        self.runtime = Runtime(cfg, self.dir)
        self.init = Init(
            loop,
            tty=cfg.tty,
            log=logs.open_writer(cfg.log.driver, cfg.log.path, cfg.log.opts),
            on_log_error=log,
        )
        self.status = "created"
        self.execs: dict[str, Exec] = {}
        self.waiters: list[Conn] = []
        self.deleting = False
        self.on_deleted: Callable[[], None] = loop.stop
        self.init.on_done.append(self._init_done)
        self._dir_fd = -1  # an O_PATH descriptor of our directory, for reachable()

    def reachable(self, name: str) -> str:
        """A path by which another process reaches the socket `name` in our directory (runc
        chdirs into the bundle, so a relative path will not do): the absolute path when it
        fits in sun_path, else through our own descriptor, /proc/<pid>/fd/<fd>/<name>."""
        path = os.path.join(self.dir, name)
        if len(path.encode()) <= _SUN_PATH_MAX:
            return path
        if self._dir_fd < 0:
            self._dir_fd = os.open(self.dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        return f"/proc/{os.getpid()}/fd/{self._dir_fd}/{name}"

    def ops(self) -> dict[str, Handler]:
        return {
            "state": self.op_state,
            "start": self.op_start,
            "kill": self.op_kill,
            "pause": self.op_pause,
            "resume": self.op_resume,
            "wait": self.op_wait,
            "attach": self.op_attach,
            "exec": self.op_exec,
            "exec_state": self.op_exec_state,
            "resize": self.op_resize,
            "delete": self.op_delete,
        }

    # create ------------------------------------------------------------------------------

    def create(self) -> None:
        """`runtime create`; on failure nothing is left behind and the error says why."""
        cfg = self.cfg
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        ours: list[int] = []  # our ends, closed on failure
        theirs: list[int] = []  # the container's ends, closed once the runtime has them
        console = listen_console(CONSOLE) if cfg.tty else None
        try:
            stdio: tuple[int, int, int] | None = None
            if not cfg.tty:
                in_r, in_w = os.pipe() if cfg.open_stdin else (null, -1)
                out_r, out_w = os.pipe()
                err_r, err_w = os.pipe()
                ours += [in_w, out_r, err_r]
                theirs += [in_r if cfg.open_stdin else -1, out_w, err_w]
                stdio = (in_r, out_w, err_w)
            pid_file = os.path.join(self.dir, INIT_PID)
            args = ["create", "--bundle", cfg.bundle, "--pid-file", pid_file]
            if console is not None:
                args += ["--console-socket", self.reachable(CONSOLE)]
            try:
                inv = self.runtime.spawn([*args, cfg.id], stdio=stdio)
            except OSError as err:
                raise errdefs.Unknown(
                    f"OCI runtime create failed: failed to run {cfg.runtime}: {err.strerror}"
                ) from None
            _pid, status = os.waitpid(inv.pid, 0)
            _close(*theirs)
            theirs = []
            if status != 0:
                raise errdefs.Unknown(
                    f"OCI runtime create failed: {self.runtime.error(inv, status)}"
                )
            self.init.pid = _read_pid(INIT_PID)
            if console is not None:
                master = receive_master(console)
                if cfg.console_size:
                    resize(master, *cfg.console_size)
                self.init.attach_master(master, stdin=cfg.open_stdin)
            else:
                if cfg.open_stdin:
                    self.init.attach_stdin(ours[0])
                self.init.attach_pipes(ours[1], ours[2])
            ours = []
        except BaseException:
            _close(*theirs, *ours)
            self.forget_container()
            raise
        finally:
            os.close(null)
            if console is not None:
                console.close()
                _unlink(CONSOLE)
        self.init.oom_file = oom_counter_file(self.init.pid)
        self.init.oom_before = oom_kills(self.init.oom_file) if self.init.oom_file else 0
        self.loop.watch(self.init.pid, self.init.exited)

    def forget_container(self) -> None:
        """After a failed create: make sure the runtime holds no state for the id."""
        try:
            inv = self.runtime.spawn(["delete", "--force", self.cfg.id])
            os.waitpid(inv.pid, 0)
        except OSError:
            pass
        _unlink(INIT_PID)

    # running the runtime -----------------------------------------------------------------

    def _run(
        self,
        conn: Conn,
        args: list[str],
        done: Callable[[], dict[str, Any]],
        *,
        after_id: list[str] | None = None,
    ) -> None:
        """Run `runtime args... <id> after_id...`; answer with done()'s fields, or the error."""

        def exited(status: int) -> None:
            if status == 0:
                try:
                    conn.answer({"ok": True, **done()})
                except errdefs.DockyardError as err:
                    conn.answer(protocol.failure(err))
                return
            conn.answer(protocol.failure(self._runtime_error(inv, status)))

        try:
            inv = self.runtime.spawn([*args, self.cfg.id, *(after_id or [])])
        except OSError as err:
            raise errdefs.Unknown(f"failed to run the OCI runtime: {err}") from None
        self.loop.watch(inv.pid, exited, spawned=True)

    def _runtime_error(self, inv: Invocation, status: int) -> errdefs.DockyardError:
        msg = self.runtime.error(inv, status)
        if inv.verb == "kill" and self.init.exit_code is not None:
            return errdefs.NotFound("process already finished")
        return errdefs.Unknown(f"OCI runtime {inv.verb} failed: {msg}")

    # ops ---------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "ok": True,
            "pid": self.init.pid,
            "status": self.status,
            "exit_code": self.init.exit_code or 0,
            "exited_at": self.init.exited_at if self.init.done else "",
            "oom_killed": self.init.oom_killed,
        }

    def op_state(self, conn: Conn, req: dict[str, Any]) -> None:
        conn.answer(self.state())

    def op_start(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.status != "created":
            raise errdefs.FailedPrecondition(f"cannot start a container in the {self.status} state")

        def started() -> dict[str, Any]:
            if self.status == "created":
                self.status = "running"
            return {"pid": self.init.pid}

        self._run(conn, ["start"], started)

    def op_kill(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.init.exit_code is not None:
            raise errdefs.NotFound("process already finished")
        signal = req.get("signal", 15)
        if not isinstance(signal, int) or not 0 < signal < 65:
            raise errdefs.InvalidArgument(f"invalid signal: {signal!r}")
        args = ["kill", "--all"] if req.get("all") else ["kill"]
        self._run(conn, args, dict, after_id=[str(signal)])  # runc: kill <id> <signal>

    def op_pause(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.status != "running":
            raise errdefs.FailedPrecondition(f"cannot pause a container in the {self.status} state")
        self._run(conn, ["pause"], lambda: self._set_status("running", "paused"))

    def op_resume(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.status != "paused":
            raise errdefs.FailedPrecondition("the container is not paused")
        self._run(conn, ["resume"], lambda: self._set_status("paused", "running"))

    def _set_status(self, before: str, after: str) -> dict[str, Any]:
        if self.status == before:
            self.status = after
        return {}

    def op_wait(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.init.done:
            conn.answer({"ok": True, **self.init.exit_status()})
        else:
            self.waiters.append(conn)

    def op_attach(self, conn: Conn, req: dict[str, Any]) -> None:
        stdin = self.init.stdin if req.get("stdin") else None
        conn.answer({"ok": True}, then_stream=True)
        conn.stream(
            self.init,
            stdout=bool(req.get("stdout")),
            stderr=bool(req.get("stderr")),
            stdin=stdin,
            close_stdin=bool(req.get("close_stdin")),
        )

    def _init_done(self) -> None:
        self.status = "stopped"
        try:
            write_atomic(EXIT_FILE, jsonfast.dumps(self.init.exit_status()).encode())
        except OSError as err:
            self.say(f"failed to write {EXIT_FILE}: {err}")
        waiters, self.waiters = self.waiters, []
        for conn in waiters:
            conn.answer({"ok": True, **self.init.exit_status()})

    # exec --------------------------------------------------------------------------------

    def op_exec(self, conn: Conn, req: dict[str, Any]) -> None:
        from dockyard.shim.execs import start_exec

        start_exec(self, conn, req)

    def op_exec_state(self, conn: Conn, req: dict[str, Any]) -> None:
        ex = self._exec(req)
        running = ex.pid != 0 and ex.exit_code is None
        conn.answer({"ok": True, "pid": ex.pid, "running": running, "exit_code": ex.exit_code})

    def _exec(self, req: dict[str, Any]) -> Exec:
        ex = self.execs.get(str(req.get("exec_id", "")))
        if ex is None:
            raise errdefs.NotFound(f"no such exec: {req.get('exec_id')}")
        return ex

    def op_resize(self, conn: Conn, req: dict[str, Any]) -> None:
        height, width = req.get("height"), req.get("width")
        if not (isinstance(height, int) and isinstance(width, int)) or height < 0 or width < 0:
            raise errdefs.InvalidArgument("resize needs a height and a width")
        target: Process = self._exec(req) if req.get("exec_id") else self.init
        if target.master >= 0:
            resize(target.master, height, width)
        conn.answer({"ok": True})

    # delete ------------------------------------------------------------------------------

    def op_delete(self, conn: Conn, req: dict[str, Any]) -> None:
        if self.deleting:
            raise errdefs.Conflict("the container is being deleted")
        self.deleting = True

        def exited(status: int) -> None:
            self.deleting = False
            if status != 0:
                conn.answer(protocol.failure(self._runtime_error(inv, status)))
                return
            _unlink(INIT_PID)
            self.on_deleted()  # the socket is gone before the client hears back
            conn.answer({"ok": True})

        inv = self.runtime.spawn(["delete", "--force", self.cfg.id])
        self.loop.watch(inv.pid, exited, spawned=True)

    def shutdown(self) -> None:
        """The shim is about to exit: close what the container had open to us."""
        self.init.kill_stdio()
        for ex in self.execs.values():
            ex.kill_stdio()
        if not self.init.done:
            self.init.log.close()
