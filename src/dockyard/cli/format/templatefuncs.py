"""The functions a docker template can call: text/template's builtins and docker's own.

Each entry is `Func(call, params, variadic)`; `params` are the Go parameter kinds the
executor checks before calling ("any", "string", "int", "strings" for []string) so that a
wrong operand fails as Go's does (`wrong type for value; expected string; got int`).
`and`/`or` are evaluated lazily by the executor (Go 1.18+ short-circuits them). A function
raises `FuncError` for Go's `error calling <name>: <message>`.
"""

from __future__ import annotations

from dockyard.cli.format.gofmt import (
    MISSING,
    go_str,
    go_type,
    json_compact,
    sprint,
    sprintf,
    sprintln,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class FuncError(Exception):
    """The error a Go template function returns (wrapped as "error calling <name>: ...")."""


class Func:
    __slots__ = ("call", "params", "variadic")

    def __init__(
        self, call: Callable[..., object], params: tuple[str, ...], variadic: str | None = None
    ) -> None:
        self.call = call
        self.params = params
        self.variadic = variadic


def truth(value: object) -> bool:
    """text/template's isTrue: empty strings, lists and maps, zero numbers and nil are false."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, str | list | tuple | dict | bool | int | float):
        return bool(value)
    return True


def _not(value: object) -> bool:
    return not truth(value)


def _basic_kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if value is None or value is MISSING:
        return "nil"
    return "other"


def _eq(arg1: object, *args: object) -> bool:
    if not args:
        raise FuncError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in args:
        k2 = _basic_kind(arg)
        if k1 == "nil" or k2 == "nil":  # Go: a nil operand compares unequal, no error
            if k1 == k2:
                return True
            continue
        if k1 != k2:
            raise FuncError("incompatible types for comparison")
        if k1 == "other" and isinstance(arg1, list | dict):
            raise FuncError(f"non-comparable type {go_str(arg1)}: {go_type(arg1)}")
        if arg1 == arg:
            return True
    return False


def _ne(arg1: object, arg2: object) -> bool:
    return not _eq(arg1, arg2)


def _ordered(arg1: object, arg2: object) -> tuple[object, object]:
    k1, k2 = _basic_kind(arg1), _basic_kind(arg2)
    if k1 in ("bool", "nil", "other") or k2 in ("bool", "nil", "other"):
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        raise FuncError("incompatible types for comparison")
    return arg1, arg2


def _lt(arg1: object, arg2: object) -> bool:
    a, b = _ordered(arg1, arg2)
    return bool(a < b)  # type: ignore[operator]  # both str, int or float: checked by _ordered


def _le(arg1: object, arg2: object) -> bool:
    return _lt(arg1, arg2) or _eq(arg1, arg2)


def _gt(arg1: object, arg2: object) -> bool:
    return not _le(arg1, arg2)


def _ge(arg1: object, arg2: object) -> bool:
    return not _lt(arg1, arg2)


def _len(value: object) -> int:
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode())
    if isinstance(value, list | tuple | dict):
        return len(value)
    if value is None or value is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    raise FuncError(f"len of type {go_type(value)}")


def _index(item: object, *indexes: object) -> object:
    if item is None or item is MISSING:
        raise FuncError("index of untyped nil")
    for index in indexes:
        if isinstance(item, dict):
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type(index)}; should be string")
            if index in item:
                item = item[index]
            elif all(isinstance(v, str) for v in item.values()):
                item = ""  # a map[string]string (labels) answers its zero value
            else:
                item = None
        elif isinstance(item, list | tuple | str):
            if not isinstance(index, int) or isinstance(index, bool):
                raise FuncError(f"cannot index slice/array with type {go_type(index)}")
            if index < 0 or index >= len(item):
                raise FuncError(f"index out of range: {index}")
            item = ord(item[index]) if isinstance(item, str) else item[index]
        elif item is None:
            raise FuncError("index of nil pointer")
        else:
            raise FuncError(f"can't index item of type {go_type(item).lstrip('*')}")
    return item


def _slice(item: object, *indexes: object) -> object:
    if not isinstance(item, str | list | tuple):
        raise FuncError(f"can't slice item of type {go_type(item)}")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if len(indexes) == 3 and isinstance(item, str):
        raise FuncError("cannot 3-index slice a string")
    bounds = []
    for index in indexes:
        if not isinstance(index, int) or isinstance(index, bool):
            raise FuncError(f"cannot index slice/array with type {go_type(index)}")
        if index < 0 or index > len(item):
            raise FuncError(f"index out of range: {index}")
        bounds.append(index)
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if end < start:
        raise FuncError(f"invalid slice index: {start} > {end}")
    return item[start:end]


def _printf(template: str, *args: object) -> str:
    return sprintf(template, args)


def _html(*args: object) -> str:
    text = sprint(args)
    for raw, esc in (("&", "&amp;"), ("'", "&#39;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;")):
        text = text.replace(raw, esc)
    return text


def _json(value: object) -> str:
    # docker's templates.json: an Encoder with SetEscapeHTML(false), newline trimmed
    to_json = getattr(value, "go_json", None)
    if to_json is not None:  # a formatter context: its MarshalJSON uses json.Marshal, which
        escape = getattr(value, "GO_JSON_ESCAPES", True)  # escapes <>& as \u003c...
        return json_compact(to_json(), escape_html=escape)
    return json_compact(None if value is MISSING else value)


def _split(text: str, sep: str) -> list[str]:
    if sep == "":
        return list(text)
    return text.split(sep)


def _join(items: list[str], sep: str) -> str:
    return sep.join(items)


def _title(text: str) -> str:
    """strings.Title: upper-case the first letter of each word (words split on non-letters)."""
    out = []
    prev_sep = True
    for ch in text:
        out.append(ch.upper() if prev_sep else ch)
        prev_sep = not (ch.isalnum() or ch == "_") if ch.isascii() else ch.isspace()
    return "".join(out)


def _pad(text: str, prefix: int, suffix: int) -> str:
    if text == "":
        return text
    return " " * prefix + text + " " * suffix


def _truncate(text: str, length: int) -> str:
    if len(text) < length:
        return text
    return text[:length]


FUNCS: dict[str, object] = {
    "and": Func(lambda *a: a[-1], ("any",), "any"),  # evaluated lazily by the executor
    "or": Func(lambda *a: a[-1], ("any",), "any"),
    "not": Func(_not, ("any",)),
    "eq": Func(_eq, ("any",), "any"),
    "ne": Func(_ne, ("any", "any")),
    "lt": Func(_lt, ("any", "any")),
    "le": Func(_le, ("any", "any")),
    "gt": Func(_gt, ("any", "any")),
    "ge": Func(_ge, ("any", "any")),
    "len": Func(_len, ("any",)),
    "index": Func(_index, ("any",), "any"),
    "slice": Func(_slice, ("any",), "any"),
    "print": Func(lambda *a: sprint(a), (), "any"),
    "printf": Func(_printf, ("string",), "any"),
    "println": Func(lambda *a: sprintln(a), (), "any"),
    "html": Func(_html, (), "any"),
    "json": Func(_json, ("any",)),
    "split": Func(_split, ("string", "string")),
    "join": Func(_join, ("strings", "string")),
    "title": Func(_title, ("string",)),
    "lower": Func(str.lower, ("string",)),
    "upper": Func(str.upper, ("string",)),
    "pad": Func(_pad, ("string", "int", "int")),
    "truncate": Func(_truncate, ("string", "int")),
}

# docker's templates.HeaderFunctions: rendering a table's header leaves the column names alone
HEADER_FUNCS: dict[str, object] = {
    "json": Func(lambda v: v, ("string",)),
    "split": Func(lambda v, _s: v, ("string", "string")),
    "join": Func(lambda v, _s: v, ("string", "string")),
    "title": Func(lambda v: v, ("string",)),
    "lower": Func(lambda v: v, ("string",)),
    "upper": Func(lambda v: v, ("string",)),
    "truncate": Func(lambda v, _n: v, ("string", "int")),
}
