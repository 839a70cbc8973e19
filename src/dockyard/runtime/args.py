"""A small flag parser with Go/urfave-cli manners, because runc's callers rely on them.

`-flag` and `--flag` are the same flag, values come as `--flag VALUE` or `--flag=VALUE`,
booleans accept `--flag=false`, and parsing stops at the first positional argument (so
`exec ID sh -c ...` passes `-c` to sh) or at `--`. argparse does none of that the same way,
and costs start-up time.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.utils.record import field, record


@record(frozen=True)
class Flag:
    name: str
    short: str = ""
    value: bool = False  # takes a value
    repeat: bool = False  # may be given more than once (values collect in a list)
    help: str = ""


@record
class Parsed:
    values: dict[str, object] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def text(self, name: str, default: str = "") -> str:
        v = self.values.get(name, default)
        return v if isinstance(v, str) else default

    def flag(self, name: str) -> bool:
        return bool(self.values.get(name, False))

    def many(self, name: str) -> list[str]:
        v = self.values.get(name, [])
        return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []

    def number(self, name: str, default: int = 0) -> int:
        raw = self.values.get(name)
        if raw is None:
            return default
        try:
            return int(str(raw))
        except ValueError:
            raise errdefs.InvalidArgument(f"invalid value {raw!r} for flag --{name}") from None


_TRUE = {"true", "1", "t", "yes"}
_FALSE = {"false", "0", "f", "no"}


def parse(argv: list[str], flags: tuple[Flag, ...], *, stop_at_positional: bool = True) -> Parsed:
    by_name = {f.name: f for f in flags}
    by_name.update({f.short: f for f in flags if f.short})
    out = Parsed()
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            out.args.extend(argv[i + 1 :])
            break
        if not token.startswith("-") or token == "-":
            out.args.append(token)
            if stop_at_positional:
                out.args.extend(argv[i + 1 :])
                break
            i += 1
            continue
        name, eq, inline = token.lstrip("-").partition("=")
        flag = by_name.get(name)
        if flag is None:
            raise errdefs.InvalidArgument(f"flag provided but not defined: {token.split('=')[0]}")
        if flag.value:
            if eq:
                value = inline
            else:
                i += 1
                if i >= len(argv):
                    raise errdefs.InvalidArgument(f"flag needs an argument: {token}")
                value = argv[i]
            if flag.repeat:
                current = out.values.setdefault(flag.name, [])
                assert isinstance(current, list)
                current.append(value)
            else:
                out.values[flag.name] = value
        else:
            if eq and inline.lower() not in _TRUE | _FALSE:
                raise errdefs.InvalidArgument(f"invalid boolean value {inline!r} for {token}")
            out.values[flag.name] = not eq or inline.lower() in _TRUE
        i += 1
    return out


def usage(command: str, synopsis: str, flags: tuple[Flag, ...]) -> str:
    lines = [f"usage: dockyard-runtime {command} {synopsis}".rstrip(), ""]
    for f in flags:
        names = (f"-{f.short}, " if f.short else "    ") + f"--{f.name}"
        if f.value:
            names += " value"
        lines.append(f"  {names:<28} {f.help}")
    return "\n".join(lines) + "\n"
