"""KEY=value lists: -e/--env, --env-file, -l/--label, --label-file (docker's opts/env.go,
opts/parse.go and pkg/kvfile)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

_WHITESPACE = " \t"


def validate_env(value: str, environ: Mapping[str, str] | None = None) -> str:
    """opts.ValidateEnv: `VAR` alone takes the host's value when the host has one."""
    key, eq, _ = value.partition("=")
    if not key:
        raise ValueError(f"invalid environment variable: {value}")
    if eq:
        return value
    env = os.environ if environ is None else environ
    if key in env:
        return f"{key}={env[key]}"
    return value


def validate_label(value: str) -> str:
    """opts.ValidateLabel: a non-empty key without whitespace."""
    key = value.partition("=")[0].lstrip(_WHITESPACE)
    if not key:
        raise ValueError(f"invalid label '{value}': empty name")
    if any(c in key for c in _WHITESPACE):
        raise ValueError(f"label '{key}' contains whitespaces")
    return value


def parse_kv_text(text: bytes, lookup: Callable[[str], str | None] | None) -> list[str]:
    """kvfile's parser: `#` comments and blank lines skipped, leading whitespace trimmed,
    a key without `=` looked up with `lookup` (the host's environment for --env-file; labels
    pass None and drop it). ValueError with docker's message for a bad line."""
    lines: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            shown = "[" + " ".join(str(b) for b in raw) + "]"
            raise ValueError(f"invalid utf8 bytes at line {number}: {shown}") from None
        line = decoded.lstrip()
        if not line or line[0] == "#":
            continue
        key, eq, _ = line.partition("=")
        if not key:
            raise ValueError(f"no variable name on line '{line}'")
        if any(c in key for c in _WHITESPACE):
            raise ValueError(f"variable '{key}' contains whitespaces")
        if eq:
            lines.append(line)
        elif lookup is not None:
            found = lookup(line)
            if found is not None:
                lines.append(f"{key}={found}")
    return lines


def parse_kv_file(path: str, lookup: Callable[[str], str | None] | None) -> list[str]:
    """kvfile.Parse: the file's lines, or docker's `open <path>: ...` / `invalid env file` error."""
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as err:
        raise ValueError(f"open {path}: {_strerror(err)}") from None
    try:
        return parse_kv_text(text, lookup)
    except ValueError as err:
        raise ValueError(f"invalid env file ({path}): {err}") from None


def _strerror(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


def read_kv_strings(
    files: Iterable[str], override: Iterable[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """opts.ReadKVEnvStrings (environ given) / ReadKVStrings (None): the files' lines first,
    then the flags' values."""
    lookup: Callable[[str], str | None] | None = None
    if environ is not None:
        env = environ
        lookup = env.get
    out: list[str] = []
    for path in files:
        out.extend(parse_kv_file(path, lookup))
    out.extend(override)
    return out


def kv_to_map(values: Iterable[str]) -> dict[str, str]:
    """opts.ConvertKVStringsToMap: `k=v` -> {k: v}; `k` alone -> {k: ""}; the last one wins."""
    out: dict[str, str] = {}
    for value in values:
        key, _, val = value.partition("=")
        out[key] = val
    return out
