"""`dockyard-shim --id <cid> --dir <dir>`: start one container's supervisor.

The process the daemon runs forks. The child becomes the shim: a new session (the daemon's
signals and terminal are not its own), a child subreaper named `dockyard-shim`, stdio on
/dev/null and `<dir>/shim.log`, cwd `<dir>`. It runs `runtime create` and listens on
`<dir>/shim.sock`, then tells the parent over a pipe: the parent exits 0, or exits non-zero
with the reason as its last stderr line (1: the runtime failed, 2: bad arguments or
configuration), and then no shim and no container are left. The daemon is never the parent
of the shim, which therefore survives a daemon restart.
"""

from __future__ import annotations

import os
import sys

from dockyard import errdefs

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from dockyard.shim.config import ShimConfig

USAGE = "usage: dockyard-shim --id <container-id> --dir <directory>\n"
NAME = "dockyard-shim"


def _parse(argv: list[str]) -> tuple[str, str]:
    values: dict[str, str] = {}
    it = iter(argv)
    for arg in it:
        key, eq, value = arg.partition("=")
        if key not in ("--id", "--dir"):
            raise errdefs.InvalidArgument(f"unknown argument: {arg}")
        values[key] = value if eq else next(it, "")
    if not values.get("--id") or not values.get("--dir"):
        raise errdefs.InvalidArgument("--id and --dir are required")
    return values["--id"], os.path.abspath(values["--dir"])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--spawner"]:  # the rest is room for the shims' command lines
        from dockyard.shim.spawner import serve

        return serve()
    try:
        cid, directory = _parse(args)
    except errdefs.InvalidArgument as err:
        sys.stderr.write(f"{USAGE}{err}\n")
        return 2
    code, text = start(cid, directory)
    if code:
        sys.stderr.write(text + "\n")
    return code


def start(cid: str, directory: str, *, close: tuple[int, ...] = ()) -> tuple[int, str]:
    """Fork the shim of container `cid` and wait until it has created the container:
    (0, "") or (exit code, the reason). `close` are descriptors the shim must not keep."""
    try:
        from dockyard.shim import config, logs

        cfg = config.load(directory)
        if cfg.id != cid:
            raise errdefs.InvalidArgument(f"shim.json is for container {cfg.id}, not {cid}")
        logs.validate_options(cfg.log.driver, cfg.log.opts)
    except errdefs.InvalidArgument as err:
        return 2, str(err)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(wfd)
        return _await_ready(pid, rfd)
    os.close(rfd)
    for fd in close:
        os.close(fd)
    if close:  # forked by the spawner: take the command line `ps` should show
        from dockyard.shim.cmdline import set_cmdline

        set_cmdline(["--id", cid, "--dir", directory])
    code = 1
    try:
        code = _shim(cfg, directory, wfd)
    except BaseException as err:  # the child's process boundary: report, never return
        import traceback

        _report(wfd, 1, f"dockyard-shim failed: {err!r}")
        os.write(2, traceback.format_exc().encode())
    finally:
        os._exit(code)


def _await_ready(pid: int, rfd: int) -> tuple[int, str]:
    """The parent: wait for the shim's word; a failure comes back as (code, reason)."""
    chunks = []
    while chunk := os.read(rfd, 65536):
        chunks.append(chunk)
    os.close(rfd)
    msg = b"".join(chunks).decode("utf-8", "replace")
    if msg.startswith("ok\n"):
        return 0, ""
    os.waitpid(pid, 0)  # the failed shim has exited (or is about to): no zombie, no shim
    code, _, text = msg.partition("\n")
    return (int(code) if code.isdigit() else 1), (
        text.strip() or "dockyard-shim exited during start-up"
    )


def _report(wfd: int, code: int, msg: str) -> None:
    try:
        os.write(wfd, f"{code}\n{msg}\n".encode())
    except OSError:
        pass


def _shim(cfg: ShimConfig, directory: str, wfd: int) -> int:
    """The child: become the shim, create the container, serve until `delete`."""
    import time

    from dockyard.shim.loop import Loop
    from dockyard.shim.prctl import become_subreaper
    from dockyard.shim.server import Server
    from dockyard.shim.service import Shim

    os.setsid()
    os.chdir(directory)
    null = os.open(os.devnull, os.O_RDWR)
    log_fd = os.open("shim.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    for target, fd in ((0, null), (1, null), (2, log_fd)):
        os.dup2(fd, target)
    os.close(null)
    os.close(log_fd)

    def say(msg: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        os.write(2, f"{stamp} {cfg.id}: {msg}\n".encode())

    shim = None
    try:
        become_subreaper(NAME)
        loop = Loop(on_error=say)
        shim = Shim(cfg, loop, log=say)
        shim.create()
        server = Server(loop, "shim.sock", shim.ops())

        def deleted() -> None:
            server.close()
            loop.stop()

        shim.on_deleted = deleted
    except (errdefs.DockyardError, OSError) as err:
        if shim is not None and shim.init.pid:
            shim.forget_container()  # created, but we cannot serve it: take it away again
        say(str(err))
        _report(wfd, 2 if isinstance(err, errdefs.InvalidArgument) else 1, str(err))
        return 1
    os.write(wfd, b"ok\n")
    os.close(wfd)
    loop.run()
    shim.shutdown()
    return 0
