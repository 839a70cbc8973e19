"""Running the OCI runtime (runc's command line) from the shim.

Every invocation is `<runtime> --root <root> --log <dir>/runtime.log --log-format json
<runtime_args...> <verb> ...`, as containerd's runc shim calls it: errors arrive as JSON lines
(`{"level":"error","msg":...}`) in the log, and the last one of an invocation is what the
user reads. The runtime's stderr goes to the same file, for runtimes that only print.

When the runtime is our own dockyard-runtime (the one installed beside this interpreter) the
shim forks and runs its `main` in the child instead of starting a new interpreter: the same
process tree and exit statuses, without 30 ms of interpreter start-up per create, start,
kill and delete.
"""

from __future__ import annotations

import os
import sys

from dockyard.shim import prctl
from dockyard.utils import jsonfast

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    import signal

    from dockyard.shim.config import ShimConfig
else:  # `signal` wraps its constants in enums, and enum is heavy
    import _signal as signal

LOG = "runtime.log"
_RESTORE = (signal.SIGPIPE, signal.SIGXFSZ)
_TAIL = 64 * 1024


class Invocation:
    """One running runtime command: its pid and where its log output starts."""

    __slots__ = ("log_offset", "pid", "verb")

    def __init__(self, pid: int, verb: str, log_offset: int) -> None:
        self.pid = pid
        self.verb = verb
        self.log_offset = log_offset


class Runtime:
    """The runtime named in shim.json, bound to one container id and state root."""

    def __init__(self, cfg: ShimConfig, directory: str) -> None:
        self.path = cfg.runtime
        self.in_process = is_own_runtime(cfg.runtime)
        self.cid = cfg.id
        self.log = os.path.join(directory, LOG)
        self.prefix = [
            cfg.runtime,
            "--root",
            cfg.runtime_root,
            "--log",
            self.log,
            "--log-format",
            "json",
            *cfg.runtime_args,
        ]

    def spawn(self, args: list[str], *, stdio: tuple[int, int, int] | None = None) -> Invocation:
        """Start `<runtime> ... args`; stdio are the descriptors for its 0, 1, 2 (default:
        /dev/null, /dev/null, the log). The caller waits for the pid."""
        err = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            offset = os.lseek(err, 0, os.SEEK_END)
            fds = stdio if stdio is not None else (null, null, err)
            actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
            argv = [*self.prefix, *args]
            if self.in_process:
                return Invocation(_fork_main(argv[1:], fds), args[0], offset)
            # Python ignores SIGPIPE (and SIGXFSZ); an ignored signal stays ignored across
            # exec, so without this the container would inherit it (subprocess's
            # restore_signals does the same).
            pid = os.posix_spawn(
                self.path, argv, os.environ, file_actions=actions, setsigdef=_RESTORE
            )
        finally:
            os.close(err)
            os.close(null)
        return Invocation(pid, args[0], offset)

    def error(self, inv: Invocation, status: int) -> str:
        """The runtime's own words for why `inv` failed (its last error line)."""
        try:
            with open(self.log, "rb") as f:
                f.seek(max(inv.log_offset, os.fstat(f.fileno()).st_size - _TAIL))
                lines = f.read().splitlines()
        except OSError:
            lines = []
        plain = ""
        for line in reversed(lines):
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            if text.startswith("{"):
                try:
                    doc = jsonfast.loads(text)
                except ValueError:
                    doc = None
                if isinstance(doc, dict) and doc.get("level") in ("error", "fatal"):
                    return str(doc.get("msg", text))
                continue
            plain = plain or text
        if plain:
            return plain
        code = os.waitstatus_to_exitcode(status)
        return f"{self.path} {inv.verb} exited with status {code}"


def is_own_runtime(path: str) -> bool:
    """Whether `path` is the dockyard-runtime of this installation."""
    own = os.path.join(os.path.dirname(sys.executable), "dockyard-runtime")
    try:
        return os.path.samefile(path, own)
    except OSError:
        return False


def _fork_main(args: list[str], fds: tuple[int, int, int]) -> int:
    """Run dockyard-runtime's main(args) in a forked child with `fds` as its stdio."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # the cmdline stays the shim's until the container's execve; the comm says what it is
        prctl.set_name("dockyard-rt")
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        # nothing of the shim may reach the runtime (and so the container's init, which
        # holds them until execve): its sockets, the readiness pipe, the wakeup fd
        os.closerange(3, 1 << 16)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, *_RESTORE):
            signal.signal(sig, signal.SIG_DFL)
        from dockyard.runtime.main import main

        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # process boundary: say why, in the runtime's log
        sys.stderr.write(f"dockyard-runtime: {exc!r}\n")
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
