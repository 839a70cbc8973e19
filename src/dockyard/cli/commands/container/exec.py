"""`dockyard container exec` / `dockyard exec`: execute a command in a running container
(docker's RunExec: create the exec, start it hijacked unless -d, follow the TTY size, and
exit with the exec's exit code from inspect)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def exec_config(cli: Cli, opts: Options, command: list[str]) -> dict[str, object]:
    """docker's parseExec: the exec create body."""
    from dockyard.cli.commands.container.attaching import detach_keys_of
    from dockyard.cli.opts import kv

    env = []
    for value in opts.strings("env"):
        try:
            env.append(kv.validate_env(value))
        except ValueError as err:
            from dockyard.cli.opts.errors import FlagValueError, flag_status

            raise flag_status(cli, USAGE, FlagValueError("-e, --env", value, str(err))) from None
    try:
        env = kv.read_kv_strings(opts.strings("env-file"), env, environ=_environ())
    except ValueError as err:
        raise StatusError(str(err), 1) from None
    detach = opts.boolean("detach")
    return {
        "User": opts.string("user"),
        "Privileged": opts.boolean("privileged"),
        "Tty": opts.boolean("tty"),
        "AttachStdin": not detach and opts.boolean("interactive"),
        "AttachStderr": not detach,
        "AttachStdout": not detach,
        "Detach": detach,
        "DetachKeys": detach_keys_of(cli, opts),
        "Env": env or None,
        "WorkingDir": opts.string("workdir"),
        "Cmd": command,
    }


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


USAGE = "[OPTIONS] CONTAINER COMMAND [ARG...]"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.tty import fd_of, is_terminal, size
    from dockyard.client import containers
    from dockyard.client import exec as execs

    ref, command = args[0], args[1:]
    config = exec_config(cli, opts, command)
    client = cli.client
    containers.inspect(client, ref)
    tty = bool(config["Tty"])
    if not config["Detach"] and config["AttachStdin"] and tty and not is_terminal(fd_of(cli.stdin)):
        raise StatusError("the input device is not a TTY", 1)
    console = size(fd_of(cli.out)) if tty else None
    if console is not None:
        config["ConsoleSize"] = list(console)
    exec_id = execs.create(client, ref, config)
    if not exec_id:
        raise StatusError("exec ID empty", 1)
    if config["Detach"]:
        execs.start(client, exec_id, detach=True, tty=tty, console_size=console)
        return 0
    return _interactive(cli, config, exec_id, console)


def _interactive(
    cli: Cli, config: dict[str, object], exec_id: str, console: tuple[int, int] | None
) -> int:
    from dockyard.cli.hijackio import Streamer, binary
    from dockyard.cli.tty import SizeMonitor, fd_of, is_terminal
    from dockyard.client import exec as execs
    from dockyard.errdefs import Unavailable

    client = cli.client
    tty = bool(config["Tty"])
    conn = execs.start(client, exec_id, detach=False, tty=tty, console_size=console)
    assert conn is not None
    out = binary(cli.out)
    streamer = Streamer(
        conn,
        stdin=cli.stdin if config["AttachStdin"] else None,
        stdout=out,
        stderr=out if tty else binary(cli.err),
        tty=tty,
        detach_keys=str(config["DetachKeys"]),
        err=cli.err,
    )
    monitor = None
    try:
        streamer.start()
        if tty and is_terminal(fd_of(cli.stdin)):
            monitor = SizeMonitor(
                lambda h, w: execs.resize(client, exec_id, height=h, width=w),
                fd_of(cli.out),
                cli.err.write,
            )
        streamer.wait(monitor.poll if monitor is not None else None)
        if streamer.detached:
            raise StatusError("read escape sequence", 1)
        if streamer.error is not None and not isinstance(streamer.error, OSError):
            raise StatusError(str(streamer.error), 1)
    finally:
        if monitor is not None:
            monitor.stop()
        streamer.close()
    try:
        answer = execs.inspect(client, exec_id)
    except Unavailable:
        return -1 & 0xFF  # docker: StatusError{StatusCode: -1}
    return int(answer.get("ExitCode") or 0)


COMMAND = Command(
    name="exec",
    usage=USAGE,
    short="Execute a command in a running container",
    run=run,
    min_args=2,
    interspersed=False,
    flags=flags(
        Flag(name="detach", short="d", help="Detached mode: run command in the background"),
        Flag(
            name="detach-keys",
            type="string",
            help="Override the key sequence for detaching a container",
        ),
        Flag(name="env", short="e", type="list", help="Set environment variables"),
        Flag(name="env-file", type="list", help="Read in a file of environment variables"),
        Flag(name="interactive", short="i", help="Keep STDIN open even if not attached"),
        Flag(name="privileged", help="Give extended privileges to the command"),
        Flag(name="tty", short="t", help="Allocate a pseudo-TTY"),
        Flag(
            name="user",
            short="u",
            type="string",
            help='Username or UID (format: "<name|uid>[:<group|gid>]")',
        ),
        Flag(
            name="workdir",
            short="w",
            type="string",
            help="Working directory inside the container",
        ),
    ),
)
