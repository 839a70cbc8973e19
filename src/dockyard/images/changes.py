"""`docker import --change` and `docker commit --change`: Dockerfile instructions on a config.

The changes are read as the lines of a Dockerfile (moby's BuildFromConfig): joined with
newlines, a trailing backslash continues a line, `#` lines are comments. Only instructions
that change the config are allowed — CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR — anything else is InvalidArgument
"<instruction> is not a valid change command" (lower case, as Docker prints it).

Each instruction behaves as in a build: CMD and ENTRYPOINT take the JSON (exec) form or the
shell form (prefixed with the image's SHELL, default /bin/sh -c); ENTRYPOINT clears a CMD
not set by these changes; ENV and LABEL take `k=v ...` or the legacy `k v`; words of ENV,
LABEL, EXPOSE, USER, VOLUME, WORKDIR and STOPSIGNAL expand $VARIABLES from the environment
so far (shellwords); WORKDIR is relative to the previous one.
"""

from __future__ import annotations

import json
import posixpath
import re
import signal
from collections.abc import Sequence

from dockyard import errdefs
from dockyard.images import timefmt
from dockyard.images.image import HealthConfig, ImageConfig
from dockyard.images.shellwords import env_map, process_word, split_words
from dockyard.utils.record import replace

VALID_COMMANDS = frozenset(
    ("cmd", "entrypoint", "env", "expose", "healthcheck", "label", "onbuild", "stopsignal",
     "user", "volume", "workdir")
)  # fmt: skip
DEFAULT_SHELL = ("/bin/sh", "-c")
_PROTOCOLS = ("tcp", "udp", "sctp")
_FLAG = re.compile(r"--([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?")
_HEALTH_FLAGS = ("interval", "timeout", "start-period", "start-interval", "retries")
_ONBUILD_PREFIX = re.compile(r"^\s*onbuild\s*", re.IGNORECASE)


def apply_changes(changes: Sequence[str], config: ImageConfig | None = None) -> ImageConfig:
    """The config after the changes; InvalidArgument (Docker's message) on a bad one."""
    state = _State(config or ImageConfig())
    for line in logical_lines("\n".join(changes)):
        state.apply(line)
    return state.config


def logical_lines(text: str) -> list[str]:
    """Dockerfile lines: comments and blank lines dropped, backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is skipped
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    if pending.strip():
        lines.append(pending)
    return lines


class _State:
    def __init__(self, config: ImageConfig) -> None:
        self.config = config
        self.cmd_set = False

    def apply(self, line: str) -> None:
        word, *more = line.strip().split(None, 1)
        rest = more[0] if more else ""
        command = word.lower()
        if command not in VALID_COMMANDS:
            raise errdefs.InvalidArgument(f"{command} is not a valid change command")
        flags, rest = _extract_flags(rest.strip())
        if flags and command != "healthcheck":
            raise errdefs.InvalidArgument(f"unknown flag: {next(iter(flags))}")
        handler = getattr(self, "do_" + command)
        if command == "healthcheck":
            handler(rest, flags)
        elif command == "onbuild":
            handler(rest, line)
        else:
            handler(rest)

    def expand(self, word: str) -> str:
        return process_word(word, env_map(self.config.env))

    def shell_form(self, rest: str) -> tuple[str, ...]:
        return (*(self.config.shell or DEFAULT_SHELL), rest)

    def do_cmd(self, rest: str) -> None:
        self.config = replace(self.config, cmd=_exec_or_shell(rest, self))
        self.cmd_set = True

    def do_entrypoint(self, rest: str) -> None:
        entrypoint = _exec_or_shell(rest, self)
        cmd = self.config.cmd if self.cmd_set else None
        self.config = replace(self.config, entrypoint=entrypoint, cmd=cmd)

    def do_env(self, rest: str) -> None:
        env = list(self.config.env or ())
        for key, value in self.pairs(rest, "ENV"):
            entry = f"{key}={value}"
            for i, existing in enumerate(env):
                if existing.partition("=")[0] == key:
                    env[i] = entry
                    break
            else:
                env.append(entry)
        self.config = replace(self.config, env=tuple(env))

    def do_label(self, rest: str) -> None:
        labels = dict(self.config.labels or {})
        labels.update(self.pairs(rest, "LABEL"))
        self.config = replace(self.config, labels=labels)

    def pairs(self, rest: str, name: str) -> list[tuple[str, str]]:
        """parseNameVal: `k=v k2="v 2"`, or the legacy `k value with spaces`."""
        words = split_words(rest)
        if not words:
            raise errdefs.InvalidArgument(f"{name} requires at least one argument")
        if "=" not in words[0]:
            parts = rest.strip().split(None, 1)
            if len(parts) < 2:
                raise errdefs.InvalidArgument(f"{name} must have two arguments")
            raw = [(parts[0], parts[1])]
        else:
            raw = []
            for word in words:
                if "=" not in word:
                    raise errdefs.InvalidArgument(
                        f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value'
                    )
                key, _, value = word.partition("=")
                raw.append((key, value))
        out = [(self.expand(k), self.expand(v)) for k, v in raw]
        if any(not key for key, _ in out):
            raise errdefs.InvalidArgument(f"{name} names can not be blank")
        return out

    def do_expose(self, rest: str) -> None:
        specs = [self.expand(word) for word in rest.split()]
        if not specs:
            raise errdefs.InvalidArgument("EXPOSE requires at least one argument")
        ports = list(self.config.exposed_ports or ())
        for spec in specs:
            ports.extend(p for p in parse_port_spec(spec) if p not in ports)
        self.config = replace(self.config, exposed_ports=tuple(ports))

    def do_user(self, rest: str) -> None:
        if not rest:
            raise errdefs.InvalidArgument("USER requires exactly one argument")
        self.config = replace(self.config, user=self.expand(rest))

    def do_workdir(self, rest: str) -> None:
        if not rest:
            raise errdefs.InvalidArgument("WORKDIR requires exactly one argument")
        requested = self.expand(rest)
        current = self.config.working_dir
        path = requested if requested.startswith("/") else f"/{current}/{requested}"
        self.config = replace(self.config, working_dir=_clean(path))

    def do_volume(self, rest: str) -> None:
        listed = _json_strings(rest)
        words = listed if listed is not None else rest.split()
        if not words:
            raise errdefs.InvalidArgument("VOLUME requires at least one argument")
        volumes = list(self.config.volumes or ())
        for word in words:
            path = self.expand(word).strip()
            if not path:
                raise errdefs.InvalidArgument("VOLUME specified can not be an empty string")
            if path not in volumes:
                volumes.append(path)
        self.config = replace(self.config, volumes=tuple(volumes))

    def do_stopsignal(self, rest: str) -> None:
        if not rest:
            raise errdefs.InvalidArgument("STOPSIGNAL requires exactly one argument")
        value = self.expand(rest)
        check_signal(value)
        self.config = replace(self.config, stop_signal=value)

    def do_onbuild(self, rest: str, line: str) -> None:
        trigger = rest.split(None, 1)[0].upper() if rest.strip() else ""
        if not trigger:
            raise errdefs.InvalidArgument("ONBUILD requires at least one argument")
        if trigger == "ONBUILD":
            raise errdefs.InvalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise errdefs.InvalidArgument(f"{trigger} isn't allowed as an ONBUILD trigger")
        expression = _ONBUILD_PREFIX.sub("", line, count=1)
        self.config = replace(self.config, on_build=(*(self.config.on_build or ()), expression))

    def do_healthcheck(self, rest: str, flags: dict[str, str]) -> None:
        kind, _, command = rest.strip().partition(" ")
        kind = kind.upper()
        if kind == "NONE":
            if command.strip() or flags:
                raise errdefs.InvalidArgument("HEALTHCHECK NONE takes no arguments")
            self.config = replace(self.config, healthcheck=HealthConfig(test=("NONE",)))
            return
        if kind != "CMD":
            raise errdefs.InvalidArgument(f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
        command = command.strip()
        if not command:
            raise errdefs.InvalidArgument("Missing command after HEALTHCHECK CMD")
        listed = _json_strings(command)
        test = ("CMD", *listed) if listed is not None else ("CMD-SHELL", command)
        for name in flags:
            if name not in _HEALTH_FLAGS:
                raise errdefs.InvalidArgument(f"unknown flag: {name}")
        retries = _health_int(flags.get("retries", "0"))
        health = HealthConfig(
            test=test,
            interval=_health_duration(flags, "interval"),
            timeout=_health_duration(flags, "timeout"),
            start_period=_health_duration(flags, "start-period"),
            start_interval=_health_duration(flags, "start-interval"),
            retries=retries,
        )
        self.config = replace(self.config, healthcheck=health)


def _exec_or_shell(rest: str, state: _State) -> tuple[str, ...]:
    listed = _json_strings(rest)
    return tuple(listed) if listed is not None else state.shell_form(rest)


def _json_strings(rest: str) -> list[str] | None:
    """The JSON (exec) form: a JSON array of strings, else None (the shell form); an array
    with anything but strings is refused, as BuildKit does."""
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise errdefs.InvalidArgument(
            "when using JSON array syntax, arrays must be comprised of strings only"
        )
    return value


def _extract_flags(rest: str) -> tuple[dict[str, str], str]:
    """BuildKit's extractBuilderFlags: leading `--name=value` words ("--" ends them)."""
    flags: dict[str, str] = {}
    while rest.startswith("--"):
        word, _, remainder = rest.partition(" ")
        if word == "--":
            return flags, remainder.strip()
        match = _FLAG.fullmatch(word)
        if match is None:
            raise errdefs.InvalidArgument(f"invalid flag: {word}")
        flags[match[1]] = match[2] if match[2] is not None else "true"
        rest = remainder.strip()
    return flags, rest


def _health_duration(flags: dict[str, str], name: str) -> int:
    value = flags.get(name, "")
    if not value:
        return 0
    try:
        ns = timefmt.parse_duration_ns(value)
    except ValueError:
        raise errdefs.InvalidArgument(f'time: invalid duration "{value}"') from None
    if 0 < ns < 1_000_000 or ns < 0:
        raise errdefs.InvalidArgument(f"Interval {name!r} cannot be less than 1ms")
    return ns


def _health_int(value: str) -> int:
    try:
        retries = int(value)
    except ValueError:
        raise errdefs.InvalidArgument(
            f'strconv.ParseInt: parsing "{value}": invalid syntax'
        ) from None
    if retries < 0:
        raise errdefs.InvalidArgument(f"--retries cannot be negative ({retries})")
    return retries


def parse_port_spec(spec: str) -> list[str]:
    """One EXPOSE word as ExposedPorts keys: "80" -> ["80/tcp"], "7000-7001/udp" -> two."""
    port, _, proto = spec.partition("/")
    proto = proto.lower() or "tcp"
    if proto not in _PROTOCOLS:
        raise errdefs.InvalidArgument(f"invalid proto: {proto}")
    port = port.rsplit(":", 1)[-1]  # an "ip:hostPort:containerPort" mapping exposes the last
    low, dash, high = port.partition("-")
    try:
        start, end = int(low), int(high if dash else low)
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid containerPort: {port}") from None
    if not (0 <= start <= 65535 and 0 <= end <= 65535) or end < start:
        raise errdefs.InvalidArgument(f"invalid containerPort: {port}")
    return [f"{p}/{proto}" for p in range(start, end + 1)]


def check_signal(value: str) -> None:
    """moby's signal.ParseSignal: a number, or a name with or without SIG."""
    if value.isdigit():
        if int(value) == 0:
            raise errdefs.InvalidArgument(f"Invalid signal: {value}")
        return
    name = value.upper().removeprefix("SIG")
    known = {s.name.removeprefix("SIG") for s in signal.Signals}
    realtime = re.fullmatch(r"RTM(?:IN(?:\+\d+)?|AX(?:-\d+)?)", name)
    if name not in known and realtime is None:
        raise errdefs.InvalidArgument(f"Invalid signal: {value}")


def _clean(path: str) -> str:
    """Go's path.Clean for absolute paths (posixpath.normpath keeps a leading "//")."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/")
