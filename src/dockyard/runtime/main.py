"""`dockyard-runtime`: runc's command line over dockyard's OCI runtime.

Only argument handling lives here and in commands/: global flags, then one module per verb,
imported lazily so a `state` call does not pay for `exec`'s imports.
"""

from __future__ import annotations

import importlib
import sys

from dockyard import __version__, errdefs
from dockyard.runtime.args import Flag, parse
from dockyard.runtime.runlog import Log, Logger
from dockyard.runtime.state import DEFAULT_ROOT, Store
from dockyard.utils.record import record

COMMANDS = {
    "create": "create a container",
    "start": "start the user process of a created container",
    "run": "create and start a container",
    "state": "print the state of a container",
    "kill": "send a signal to the container's init process",
    "delete": "delete resources held by the container",
    "exec": "execute a new process inside the container",
    "list": "list containers started with the given root",
    "ps": "list processes running inside a container",
    "pause": "suspend all processes inside the container",
    "resume": "resume all processes that have been paused",
    "spec": "create a new specification file",
    "features": "show the enabled features",
}
ALIASES = {"ls": "list", "rm": "delete"}

GLOBAL_FLAGS = (
    Flag("root", value=True, help=f"state directory (default {DEFAULT_ROOT})"),
    Flag("log", value=True, help="log file (default stderr)"),
    Flag("log-format", value=True, help="text or json"),
    Flag("debug", help="log debug output"),
    Flag("systemd-cgroup", help="use the systemd cgroup driver"),
    Flag(
        "criu", value=True, help="accepted for runc compatibility; checkpointing is not supported"
    ),
    Flag("rootless", value=True, help="accepted for runc compatibility"),
    Flag("version", short="v", help="print the version"),
    Flag("help", short="h", help="show help"),
)


@record(frozen=True)
class Context:
    """What every command receives: the state store, the log and the global switches."""

    store: Store
    log: Log
    systemd_cgroup: bool


def _usage() -> str:
    lines = ["usage: dockyard-runtime [global options] command [options] [arguments]", ""]
    lines += [f"  {name:<10} {text}" for name, text in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    log = Log()
    try:
        opts = parse(argv, GLOBAL_FLAGS)
        fmt = opts.text("log-format", "text")
        if fmt not in ("text", "json"):
            raise errdefs.InvalidArgument(f"invalid log-format: {fmt}")
        log = Log(opts.text("log"), fmt, opts.flag("debug"))
        Logger.use(log)
        if opts.flag("version"):
            sys.stdout.write(f"dockyard-runtime version {__version__}\nspec: 1.2.0\n")
            return 0
        if not opts.args or opts.flag("help"):
            sys.stdout.write(_usage())
            return 0 if opts.flag("help") else 1
        name = ALIASES.get(opts.args[0], opts.args[0])
        if name not in COMMANDS:
            raise errdefs.InvalidArgument(f"no such command: {opts.args[0]}")
        ctx = Context(
            store=Store(opts.text("root", DEFAULT_ROOT)),
            log=log,
            systemd_cgroup=opts.flag("systemd-cgroup"),
        )
        if name in ("create", "run"):
            from dockyard.runtime.cgroups import prime

            prime()  # overlaps a kernel grace period with our imports (see prime())
        module = importlib.import_module(f"dockyard.runtime.commands.{name}")
        code: int = module.run(ctx, opts.args[1:])
        return code
    except (errdefs.DockyardError, OSError) as err:
        return _fatal(log, str(err))
    except KeyboardInterrupt:
        return 130


def _fatal(log: Log, msg: str) -> int:
    log.error(msg)
    sys.stderr.write(msg + "\n")
    return 1
