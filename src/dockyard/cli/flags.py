"""The command-line flag parser: spf13/pflag's grammar, as every docker command reads flags.

    -a --all --all=false        switches; `-ait` combines one-letter switches
    -n 3  -n3  -n=3             a one-letter flag's value: next word, attached, or after "="
    --name web  --name=web      a long flag's value
    -e A=1 -e B=2               repeatable flags collect a list
    --                          ends the flags; `-` alone is a positional

Errors carry pflag's exact text ("unknown flag: --foo", "unknown shorthand flag: 'x' in -x",
"flag needs an argument: --name", `invalid argument "x" for "-n, --last" flag: ...`);
`cli/main.py` adds the usage lines and exits 125, as docker's FlagErrorFunc does.

Every command also knows `--help` (and the deprecated `-h`, unless the command has a `-h` of
its own, as `run -h` is `--hostname`): cobra's persistent help flag.
"""

from __future__ import annotations

from dockyard.cli.command import NUMERIC

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from dockyard.cli.command import Flag

# docker's flagsHelper texts for the --format flag of listings and of inspect-like verbs
FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'table':            Print output in table format with column headers (default)\n"
    "'table TEMPLATE':   Print output in table format using the given Go template\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates"
)
INSPECT_FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting "
    "output with templates"
)


class FlagError(Exception):
    """A malformed command line; the message is pflag's."""


class Parsed:
    """What `parse` read: flag values by long name, the positionals, and whether help was asked."""

    __slots__ = ("args", "help", "values")

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.args: list[str] = []
        self.help = False


def parse(
    flags: tuple[Flag, ...],
    argv: list[str],
    *,
    interspersed: bool = True,
    err: TextIO | None = None,
    help_flag: bool = True,
) -> Parsed:
    """Parse `argv` (the words after the command) against `flags`.

    `interspersed=False` stops at the first positional (docker's `run IMAGE CMD -l`, and the
    global flags before the command word). Deprecation warnings go to `err`.
    """
    by_name = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    out = Parsed()
    words = list(argv)
    while words:
        word = words.pop(0)
        if len(word) < 2 or word[0] != "-":
            if not interspersed:
                out.args.append(word)
                out.args.extend(words)
                return out
            out.args.append(word)
            continue
        if word == "--":
            out.args.extend(words)
            return out
        if word[1] == "-":
            _long(word, words, by_name, out, err, help_flag)
        else:
            _shorts(word, words, by_short, out, err, help_flag)
    return out


def _long(
    word: str,
    words: list[str],
    by_name: dict[str, Flag],
    out: Parsed,
    err: TextIO | None,
    help_flag: bool,
) -> None:
    name = word[2:]
    if not name or name[0] in "-=":
        raise FlagError(f"bad flag syntax: {word}")
    name, eq, value = name.partition("=")
    flag = by_name.get(name)
    if flag is None:
        if name == "help" and help_flag:
            out.help = _parse_bool(value, "--help") if eq else True
            return
        raise FlagError(f"unknown flag: --{name}")
    if not eq:
        if flag.is_bool:
            value = "true"
        elif words:
            value = words.pop(0)
        else:
            raise FlagError(f"flag needs an argument: {word}")
    _set(flag, value, out, err)


def _shorts(
    word: str,
    words: list[str],
    by_short: dict[str, Flag],
    out: Parsed,
    err: TextIO | None,
    help_flag: bool,
) -> None:
    shorthands = word[1:]
    while shorthands:
        c, rest = shorthands[0], shorthands[1:]
        flag = by_short.get(c)
        if flag is None:
            if c == "h" and help_flag:
                if err is not None:
                    err.write("Flag shorthand -h has been deprecated, use --help\n")
                out.help = True
                shorthands = rest
                continue
            raise FlagError(f"unknown shorthand flag: {_quote_rune(c)} in -{shorthands}")
        if len(shorthands) > 2 and shorthands[1] == "=":
            value, rest = shorthands[2:], ""
        elif flag.is_bool:
            value = "true"
        elif rest:
            value, rest = rest, ""
        elif words:
            value = words.pop(0)
        else:
            raise FlagError(f"flag needs an argument: {_quote_rune(c)} in -{shorthands}")
        _set(flag, value, out, err)
        shorthands = rest


def _set(flag: Flag, value: str, out: Parsed, err: TextIO | None) -> None:
    try:
        parsed = convert(flag.type, value)
    except ValueError as exc:
        label = f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"
        message = f"invalid argument {go_quote(value)} for {go_quote(label)} flag: {exc}"
        raise FlagError(message) from None
    if flag.repeatable:
        current = out.values.get(flag.name)
        items = current if isinstance(current, list) else []
        if flag.type == "stringSlice":
            items.extend(_csv(value))
        else:
            items.append(value)
        out.values[flag.name] = items
    else:
        out.values[flag.name] = parsed
    if flag.deprecated and err is not None:
        err.write(f"Flag --{flag.name} has been deprecated, {flag.deprecated}\n")


def convert(kind: str, value: str) -> object:
    """The value a flag of docker type `kind` stores for `value`; ValueError with the Go
    error text (strconv, go-units, time) when it is not one."""
    if kind == "bool":
        return _parse_bool_value(value)
    if kind in NUMERIC:
        return _numeric(kind, value)
    if kind == "bytes":
        if value != "-1":  # docker's MemSwapBytes: -1 is "unlimited"
            from dockyard.cli.opts.units import ram_in_bytes

            ram_in_bytes(value)
    elif kind == "duration":
        from dockyard.cli.opts.units import duration_ns

        duration_ns(value)
    elif kind == "filter" and "=" not in value:
        raise ValueError("bad format of filter (expected name=value)")
    return value


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _parse_bool_value(value: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"strconv.ParseBool: parsing {go_quote(value)}: invalid syntax")


def _parse_bool(value: str, label: str) -> bool:
    try:
        return _parse_bool_value(value)
    except ValueError as exc:
        message = f"invalid argument {go_quote(value)} for {go_quote(label)} flag: {exc}"
        raise FlagError(message) from None


_BITS = {"int": 64, "int64": 64, "uint": 64, "uint64": 64, "uint16": 16}


def _numeric(kind: str, value: str) -> str:
    """Go's strconv.ParseInt/ParseUint(value, 0, bits) or ParseFloat; the canonical decimal
    text (so Options.integer reads "010" as Go does: octal 8)."""
    if kind in ("float", "decimal"):
        return _float(kind, value)
    signed = not kind.startswith("uint")
    func = "ParseInt" if signed else "ParseUint"
    number = _go_int(value, signed=signed)
    if number is None:
        raise ValueError(f"strconv.{func}: parsing {go_quote(value)}: invalid syntax")
    bits = _BITS[kind]
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if not low <= number <= high:
        raise ValueError(f"strconv.{func}: parsing {go_quote(value)}: value out of range")
    return str(number)


def _go_int(value: str, *, signed: bool) -> int | None:
    """Go's integer literal syntax with base 0: 0x / 0o / 0 (octal) / 0b prefixes, `_`
    separators only after a prefix or between digits."""
    text = value
    negative = False
    if signed and text[:1] in ("+", "-"):
        negative, text = text[0] == "-", text[1:]
    if not text or "__" in text or text.endswith("_"):
        return None
    base = 10
    lower = text.lower()
    if lower.startswith(("0x", "0o", "0b")):
        base = {"x": 16, "o": 8, "b": 2}[lower[1]]
        text = text[2:].removeprefix("_")
    elif len(text) > 1 and text[0] == "0":
        base, text = 8, text[1:].removeprefix("_")
    if not text or text.startswith("_") or not text.replace("_", "").isalnum():
        return None
    try:
        number = int(text, base)
    except ValueError:
        return None
    return -number if negative else number


def _float(kind: str, value: str) -> str:
    if kind == "decimal":  # docker's NanoCPUs (--cpus): a rational number, 9 decimals at most
        from fractions import Fraction

        try:
            number = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"failed to parse {value} as a rational number") from None
        if (number * 1_000_000_000).denominator != 1:
            raise ValueError("value is too precise")
        return value
    try:
        if value.strip() != value or "_" in value:
            raise ValueError(value)
        float(value)
    except ValueError:
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(value)}: invalid syntax") from None
    return value


def _csv(value: str) -> list[str]:
    """pflag's stringSlice reads one flag value as a CSV record."""
    if '"' not in value:
        return value.split(",") if value else []
    import csv

    return next(csv.reader([value]))


def go_quote(text: str) -> str:
    """Go's %q for the printable text flags carry."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _quote_rune(c: str) -> str:
    """Go's %q for a byte: 'x'."""
    if c == "'":
        return "'\\''"
    if c == "\\":
        return "'\\\\'"
    return f"'{c}'"
