"""What a CLI command is: its flags, its usage line, and the function that runs it.

Every verb module under `cli/commands/<group>/` exports one `COMMAND`. `cli/tree.py` says
where each lives, so `dockyard ps` imports the one module it runs and nothing else: the
CLI's start-up time is a feature (DESIGN.md §4).

A command's `run(cli, opts, args)` returns the process's exit status. It prints through
`cli.out` / `cli.err` (only `cli/` prints, STYLE.md), and signals failure by raising:
an `errdefs` kind (printed as one line, exit 1; errors that came from the daemon carry
their HTTP status, see `client/errors.py`) or `StatusError` for Docker's special exit
statuses (125 from `run` when the daemon refuses, 126/127 when the command cannot run).
"""

from __future__ import annotations

from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.cli.app import Cli

# Flag types as docker's help prints them. The parser reads "bool" as a switch, the
# repeatable types as lists, and checks the numeric ones when it reads them (pflag does too).
REPEATABLE = frozenset(
    {
        "list",
        "stringArray",
        "stringSlice",
        "map",
        "filter",
        "ulimit",
        "mount",
        "network",
        "gpu-request",
        "weight-device",
        "throttled-device",
        "pref",
        "command",
        "uint16Slice",
        "stringToString",
    }
)
NUMERIC = frozenset({"int", "int64", "uint", "uint16", "uint64", "decimal", "float"})


@record(frozen=True)
class Flag:
    """One option: `--long` and an optional one-letter `-s` alias.

    `name` is the long name without dashes and the key in `Options`. `type` is docker's
    type name shown in help ("string", "int", "list", "bytes", "duration"...); "bool" makes
    a switch (`--all`, `--all=false`). `default` is what `Options` answers when the flag was
    not given (None means the type's zero value); `help_default` is shown as
    `(default ...)` where docker shows one.
    """

    name: str
    short: str = ""
    type: str = "bool"
    default: object = None
    help: str = ""
    help_default: str = ""
    hidden: bool = False
    deprecated: str = ""  # non-empty: accepted, hidden, and this message printed on use

    @property
    def is_bool(self) -> bool:
        return self.type == "bool"

    @property
    def repeatable(self) -> bool:
        return self.type in REPEATABLE


@record(frozen=True)
class Command:
    """One verb: `name`, its `usage` after the command path ("[OPTIONS] CONTAINER [CONTAINER...]"),
    the one-line `short` description, flags, and argument bounds checked before `run`.

    `interspersed=False` stops flag parsing at the first positional argument, as docker's
    `run`, `create` and `exec` do (`run busybox ls -l` keeps `-l` for the container).
    """

    name: str
    usage: str
    short: str
    run: Callable[[Cli, Options, list[str]], int]
    flags: tuple[Flag, ...] = ()
    aliases: tuple[str, ...] = ()
    min_args: int = 0
    max_args: int | None = None  # None: no upper bound
    interspersed: bool = True
    long: str = ""  # extra paragraphs for --help
    examples: str = ""


class Options:
    """The parsed flags of one command, typed access by long name.

    Values are stored as the parser read them: bool for switches, str for single values
    (numeric ones already checked), list[str] for repeatable flags. A flag that was not on
    the command line answers its default.
    """

    __slots__ = ("_changed", "_flags", "_values")

    def __init__(self, flags: tuple[Flag, ...], values: dict[str, object]) -> None:
        self._flags = {f.name: f for f in flags}
        self._values = values
        self._changed = frozenset(values)

    def changed(self, name: str) -> bool:
        """Whether the flag was given (pflag's Changed): `--stop-timeout 0` is not unset."""
        self._flag(name)
        return name in self._changed

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        return bool(value) if value is not None else False

    def string(self, name: str) -> str:
        value = self._get(name)
        return "" if value is None else str(value)

    def integer(self, name: str) -> int:
        value = self._get(name)
        return 0 if value is None or value == "" else int(str(value), 0)

    def number(self, name: str) -> float:
        value = self._get(name)
        return 0.0 if value is None or value == "" else float(str(value))

    def strings(self, name: str) -> list[str]:
        value = self._get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [str(value)]

    def set(self, name: str, value: object) -> None:
        """Give a flag a value after parsing (config.json defaults such as detachKeys)."""
        self._flag(name)
        self._values[name] = value

    def _get(self, name: str) -> object:
        flag = self._flag(name)
        return self._values.get(name, flag.default)

    def _flag(self, name: str) -> Flag:
        try:
            return self._flags[name]
        except KeyError:
            raise KeyError(f"command has no flag --{name}") from None


class StatusError(Exception):
    """Exit with `status` after printing `message` (if any) on stderr, as docker's
    cli.StatusError: `run` answers 125 when the daemon refuses, 126/127 when the
    container's command cannot be invoked or found."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def flags(*items: Flag) -> tuple[Flag, ...]:
    """A command's flags as a tuple (reads better than a tuple literal in a COMMAND)."""
    return items
