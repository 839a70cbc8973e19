"""Entry point of `dockyard`: global flags, find the command, parse its flags, run it, and
turn what it raised into docker's messages and exit statuses.

    dockyard [global flags] COMMAND [flags and arguments]

Global flags are read only before the command word (docker's TraverseChildren with
interspersed parsing off): `dockyard ps -D` is an unknown flag of `ps`, as in docker.
Exit statuses: 0 success, 1 an error (daemon errors print "Error response from daemon: ..."),
125 a flag error, a command's StatusError status (run: 125/126/127, the container's own),
130 on Ctrl-C. The one command module the line names is the only one imported.
"""

from __future__ import annotations

import sys

from dockyard.cli import tree
from dockyard.cli.app import PROG, Cli, GlobalOptions
from dockyard.cli.command import Flag, StatusError, flags
from dockyard.cli.flags import FlagError, Parsed, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from dockyard.cli.command import Command

LOG_LEVELS = ("panic", "fatal", "error", "warn", "warning", "info", "debug", "trace")


def global_flags() -> tuple[Flag, ...]:
    """docker's root flags (cli/flags/options.go), with the defaults this machine would use."""
    import os

    config_dir = os.environ.get("DOCKYARD_CONFIG", "") or os.path.join(
        os.path.expanduser("~"), ".docker"
    )
    cert_dir = os.environ.get("DOCKYARD_CERT_PATH", "") or config_dir
    return flags(
        Flag(
            name="config",
            type="string",
            help="Location of client config files",
            help_default=config_dir,
        ),
        Flag(
            name="context",
            short="c",
            type="string",
            help="Name of the context to use to connect to the daemon (overrides "
            f'DOCKYARD_HOST env var and default context set with "{PROG} context use")',
        ),
        Flag(name="debug", short="D", help="Enable debug mode"),
        Flag(name="host", short="H", type="list", help="Daemon socket to connect to"),
        Flag(
            name="log-level",
            short="l",
            type="string",
            default="info",
            help='Set the logging level ("debug", "info", "warn", "error", "fatal")',
        ),
        Flag(name="tls", help="Use TLS; implied by --tlsverify"),
        Flag(
            name="tlscacert",
            type="string",
            help="Trust certs signed only by this CA",
            help_default=os.path.join(cert_dir, "ca.pem"),
        ),
        Flag(
            name="tlscert",
            type="string",
            help="Path to TLS certificate file",
            help_default=os.path.join(cert_dir, "cert.pem"),
        ),
        Flag(
            name="tlskey",
            type="string",
            help="Path to TLS key file",
            help_default=os.path.join(cert_dir, "key.pem"),
        ),
        Flag(name="tlsverify", help="Use TLS and verify the remote"),
        Flag(name="version", short="v", help="Print version information and quit"),
    )


def main(argv: list[str] | None = None) -> int:
    """Run one command line; returns the exit status (the console script exits with it)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return run(args, out=sys.stdout, err=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _broken_pipe()


def _broken_pipe() -> int:
    """Die of SIGPIPE as the Go binary does when its reader goes away (`dockyard ps | head`),
    without Python's "Exception ignored" noise on the way out."""
    import os
    import signal

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
    return 141


def run(args: list[str], *, out: TextIO, err: TextIO) -> int:
    """Dispatch `args` (without the program name)."""
    from dockyard import errdefs

    try:
        return _dispatch(args, out=out, err=err)
    except errdefs.DockyardError as exc:  # raised outside a command (a module not landed)
        err.write(error_text(exc) + "\n")
        return 1


def _dispatch(args: list[str], *, out: TextIO, err: TextIO) -> int:
    root_flags = global_flags()
    try:
        parsed = parse(root_flags, args, interspersed=False, err=err)
    except FlagError as exc:
        return _flag_error(err, str(exc), f"{PROG} [OPTIONS] COMMAND [ARG...]", PROG)
    words = parsed.args
    if parsed.help and not words:
        from dockyard.cli.help import top_help

        out.write(top_help(root_flags))
        return 0
    if not words:
        if parsed.values.get("version"):
            from dockyard.cli.commands.system.version import version_line

            out.write(version_line() + "\n")
            return 0
        from dockyard.cli.help import top_help

        err.write(top_help(root_flags))
        return 0
    options = _global_options(parsed)
    if isinstance(options, str):
        err.write(options + "\n")
        return 1
    if words[0] == "help":
        return _help_command(words[1:], root_flags, out, err)
    if words[0] == "completion":
        from dockyard.cli.completion import COMMAND as completion

        return _run_command("completion", "", completion, words[1:], options, out, err)
    found = tree.locate(words)
    if found is None:
        err.write(
            f"{PROG}: unknown command: {PROG} {words[0]}\n\n"
            f"Run '{PROG} --help' for more information\n"
        )
        return 1
    path, module, used = found
    if not module:
        return _group(path, words[used:], options, out, err)
    command = load(module)
    return _run_command(_canonical(path), module, command, words[used:], options, out, err)


def _global_options(parsed: Parsed) -> GlobalOptions | str:
    values = parsed.values
    level = str(values.get("log-level", "info"))
    if level.lower() not in LOG_LEVELS:
        return f"Unable to parse logging level: {level}"
    hosts = values.get("host") or []
    return GlobalOptions(
        hosts=tuple(hosts) if isinstance(hosts, list) else (),
        context=str(values.get("context", "")),
        config_dir=str(values.get("config", "")),
        debug=bool(values.get("debug", False)),
        log_level="debug" if values.get("debug") else level.lower(),
        tls=bool(values.get("tls", False)),
        tlsverify=bool(values.get("tlsverify", False)),
        tlscacert=str(values.get("tlscacert", "")),
        tlscert=str(values.get("tlscert", "")),
        tlskey=str(values.get("tlskey", "")),
    )


def load(module: str) -> Command:
    """The COMMAND of one verb module (imported now, and only this one)."""
    try:
        # __import__, not importlib.import_module: importlib's package imports warnings.
        command: Command = __import__(module, fromlist=["COMMAND"]).COMMAND
    except ModuleNotFoundError as err:
        if err.name != module:
            raise
        from dockyard import errdefs

        raise errdefs.Unimplemented(f"{PROG}: this command is not available yet") from err
    return command


def _canonical(path: str) -> str:
    """cobra's CommandPath names a verb by its name, not the alias typed: `container list`
    runs and reports as `container ls`."""
    group, _, verb = path.partition(" ")
    if verb and group in tree.GROUPS:
        verbs = tree.GROUPS[group][1]
        if verb not in verbs and tree.GROUP_ALIASES.get(verb) in verbs:
            return f"{group} {tree.GROUP_ALIASES[verb]}"
    return path


def _group(group: str, rest: list[str], options: GlobalOptions, out: TextIO, err: TextIO) -> int:
    """`dockyard container [--help]`, or a verb after flags (`container --help ls`)."""
    full = f"{PROG} {group}"
    try:
        parsed = parse((), rest, err=err)
    except FlagError as exc:
        return _flag_error(err, str(exc), full, full)
    if parsed.args:
        found = tree.locate([group, parsed.args[0]])
        if found is None or not found[1]:
            err.write(
                f"{PROG}: unknown command: {full} {parsed.args[0]}\n\n"
                f"Usage:  {full}\n\nRun '{full} --help' for more information\n"
            )
            return 1
        path, module, _ = found
        argv = parsed.args[1:] + (["--help"] if parsed.help else [])
        return _run_command(_canonical(path), module, load(module), argv, options, out, err)
    from dockyard.cli.help import group_help

    (out if parsed.help else err).write(group_help(group))
    return 0


def _help_command(words: list[str], root_flags: tuple[Flag, ...], out: TextIO, err: TextIO) -> int:
    """`dockyard help [COMMAND...]`."""
    from dockyard.cli import help as helptext

    if not words:
        out.write(helptext.top_help(root_flags))
        return 0
    found = tree.locate(words)
    if found is not None and found[2] == len(words):
        path, module, _ = found
        if not module:
            out.write(helptext.group_help(path))
        else:
            path = _canonical(path)
            out.write(helptext.command_help(f"{PROG} {path}", module, load(module)))
        return 0
    if words == ["completion"]:
        from dockyard.cli.completion import COMMAND as completion

        out.write(helptext.command_help(f"{PROG} completion", "", completion))
        return 0
    err.write(f"unknown help topic: {' '.join(words)}\n")
    return 1


def _run_command(
    path: str,
    module: str,
    command: Command,
    argv: list[str],
    options: GlobalOptions,
    out: TextIO,
    err: TextIO,
) -> int:
    full = f"{PROG} {path}"
    try:
        parsed = parse(
            command.flags,
            argv,
            interspersed=command.interspersed,
            err=err,
            help_flag=True,
        )
    except FlagError as exc:
        return _flag_error(err, str(exc), use_line_of(full, command), full)
    if parsed.help:
        from dockyard.cli.help import command_help

        out.write(command_help(full, module, command))
        return 0
    problem = arg_count_error(full, command, len(parsed.args))
    if problem:
        err.write(problem + "\n")
        return 1
    from dockyard.cli.command import Options

    cli = Cli(options=options, out=out, err=err)
    cli.command_path = full
    try:
        return command.run(cli, Options(command.flags, parsed.values), parsed.args)
    except StatusError as exc:
        if exc.message:
            err.write(exc.message.rstrip("\n") + "\n")
        return exc.status or 1
    except Exception as exc:
        from dockyard import errdefs

        if not isinstance(exc, errdefs.DockyardError):
            raise
        err.write(error_text(exc) + "\n")
        return 1
    finally:
        cli.close()


def error_text(exc: BaseException) -> str:
    """How docker prints an error (`cli/errors.py`)."""
    from dockyard.cli.errors import describe

    return describe(exc)


def arg_count_error(full: str, command: Command, count: int) -> str:
    """docker's cli/required.go messages for a wrong number of positional arguments."""
    low, high = command.min_args, command.max_args
    usage = use_line_of(full, command)
    tail = f"\n\nUsage:  {usage}\n\nRun '{full} --help' for more information"
    if high == 0 and count > 0:
        return f"{PROG}: '{full}' accepts no arguments{tail}"
    if high is None:
        if count >= low:
            return ""
        return (
            f"{PROG}: '{full}' requires at least {low} {_plural(low)}\n\nUsage:  {usage}"
            f"\n\nSee '{full} --help' for more information"
        )
    if low <= count <= high:
        return ""
    if low == high:
        return f"{PROG}: '{full}' requires {low} {_plural(low)}{tail}"
    if low == 0:
        return f"{PROG}: '{full}' requires at most {high} {_plural(high)}{tail}"
    return f"{PROG}: '{full}' requires at least {low} and at most {high} {_plural(high)}{tail}"


def use_line_of(full: str, command: Command) -> str:
    return f"{full} {command.usage}" if command.usage else full


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"


def _flag_error(err: TextIO, message: str, usage: str, path: str) -> int:
    """docker's FlagErrorFunc: the pflag error, the usage line, where to read more; 125."""
    err.write(f"{message}\n\nUsage:  {usage}\n\nRun '{path} --help' for more information\n")
    return 125


if __name__ == "__main__":
    sys.exit(main())
