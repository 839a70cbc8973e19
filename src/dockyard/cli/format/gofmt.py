"""Go's fmt and encoding/json as docker's templates print values.

Python values stand for the Go values a template sees: str, int, float (a JSON number with a
fraction), bool, None (a nil interface), list ([]any), dict (map[string]any) and `MISSING`, the
invalid reflect.Value text/template prints as "<no value>" (a map key that is not there).
`go_str` is `%v`; `sprintf` covers the verbs people put in `--format` (%s %d %v %q %t %x %X
%o %b %c %e %f %g %T with flags, width and precision, and Go's `%!verb(type=value)` for
mismatches); `json_compact` / `json_indent` are encoding/json's Marshal and MarshalIndent.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


class _Missing:
    """text/template's invalid value: printed "<no value>", false in `if`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def go_type(value: object) -> str:
    """The Go type name `%T` and error messages use for a decoded-JSON value."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, str) for v in value):
            return "[]string"
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    name = getattr(value, "GO_TYPE", None)
    return name if isinstance(name, str) else f"*{type(value).__name__}"


def format_float(value: float, verb: str = "g", prec: int = -1) -> str:
    """strconv.FormatFloat(value, verb, prec, 64) for verbs e, f, g (shortest when prec < 0)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if prec >= 0:
        return f"{value:.{max(prec, 1) if verb == 'g' else prec}{verb}}"
    digits, dp, neg = _shortest(value)
    sign = "-" if neg else ""
    # strconv: with the shortest digits, %g switches to %e below 1e-4 and from 1e6 up
    if verb == "e" or (verb == "g" and (dp - 1 < -4 or dp - 1 >= 6)):
        return sign + _fmt_e(digits, dp)
    return sign + _fmt_f(digits, dp)


def _shortest(value: float) -> tuple[str, int, bool]:
    """Shortest round-trip digits of |value| and the decimal point position (0.DIGITS x 10^dp)."""
    text = repr(value)
    neg = text.startswith("-")
    if neg:
        text = text[1:]
    exp = 0
    if "e" in text:
        text, _, e = text.partition("e")
        exp = int(e)
    whole, _, frac = text.partition(".")
    digits = whole + frac
    dp = len(whole) + exp
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    if not digits:
        return "0", 1, neg
    return digits, dp, neg


def _fmt_e(digits: str, dp: int) -> str:
    exp = dp - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return f"{mant}e{sign}{abs(exp):02d}"


def _fmt_f(digits: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def float_v(value: float) -> str:
    """fmt's %v of a float64: %g with the shortest digits (1e+06, 123456, 0.5, 1e-05)."""
    return format_float(value)


def go_str(value: object) -> str:
    """fmt.Sprint of one value (%v), as text/template prints an action's result."""
    if type(value) is str:
        return value
    if value is None:
        return "<nil>"
    if value is MISSING:
        return "<no value>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_v(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join([go_str(v) for v in value]) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join([f"{k}:{go_str(value[k])}" for k in sorted(value)]) + "]"
    return str(value)


def quote(text: str) -> str:
    """strconv.Quote: Go escapes, printable Unicode kept as is."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    out = ['"']
    for ch in text:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(_escape_rune(ord(ch)))
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def _escape_rune(code: int) -> str:
    if code in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[code]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def sprint(args: Sequence[object]) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    out: list[str] = []
    prev_string = True
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(go_str(arg))
        prev_string = is_string
    return "".join(out)


def sprintln(args: Sequence[object]) -> str:
    """fmt.Sprintln: always spaces, and a newline."""
    return " ".join(go_str(a) for a in args) + "\n"


def sprintf(template: str, args: Sequence[object]) -> str:
    """fmt.Sprintf for the verbs and flags templates use."""
    out: list[str] = []
    n = len(template)
    i = 0
    argi = 0
    while i < n:
        j = template.find("%", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        i = j + 1
        if i >= n:
            out.append("%!(NOVERB)")
            break
        flags = ""
        while i < n and template[i] in "+-# 0":
            flags += template[i]
            i += 1
        width, i, argi = _number_or_star(template, i, args, argi)
        prec = -1
        if i < n and template[i] == ".":
            prec, i, argi = _number_or_star(template, i + 1, args, argi)
            prec = max(prec, 0)
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = template[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        text = _verb(verb, arg, flags, prec)
        if text is None:  # Go prints the operand with the width inside: %!f(string=   ab)
            value = "<nil>" if arg is None or arg is MISSING else None
            text = f"%!{verb}({value})" if value else _bad_padded(verb, arg, width, flags)
            out.append(text)
            continue
        out.append(_pad(text, width, flags, verb, arg))
    if argi < len(args):
        extra = ", ".join(f"{go_type(a)}={go_str(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _number_or_star(
    template: str, i: int, args: Sequence[object], argi: int
) -> tuple[int, int, int]:
    if i < len(template) and template[i] == "*":
        value = args[argi] if argi < len(args) else 0
        return (value if isinstance(value, int) else 0), i + 1, argi + 1
    start = i
    while i < len(template) and template[i].isdigit():
        i += 1
    return (int(template[start:i]) if i > start else -1), i, argi


def _pad(text: str, width: int, flags: str, verb: str, arg: object) -> str:
    fill = width - len(text)
    if fill <= 0:
        return text
    if "-" in flags:
        return text + " " * fill
    numeric = isinstance(arg, int | float) and not isinstance(arg, bool)
    if "0" in flags and numeric and verb not in "sqvcT":
        sign = text[0] if text[:1] in "+-" else ""
        return sign + "0" * fill + text[len(sign) :]
    return " " * fill + text


def _bad_padded(verb: str, arg: object, width: int, flags: str) -> str:
    return f"%!{verb}({go_type(arg)}={_pad(go_str(arg), width, flags, 'v', arg)})"


def _verb(verb: str, arg: object, flags: str, prec: int) -> str | None:
    if isinstance(arg, list | tuple) and verb not in "vTq":
        parts = [_verb(verb, a, flags, prec) for a in arg]
        return (
            "["
            + " ".join(
                p if p is not None else _bad_padded(verb, a, -1, "")
                for p, a in zip(parts, arg, strict=True)
            )
            + "]"
        )
    if verb == "v":
        if isinstance(arg, float) and prec >= 0:
            return format_float(arg, "g", prec)
        return go_str(arg)
    if verb == "T":
        return go_type(arg)
    if verb == "s":
        if isinstance(arg, str):
            return arg[:prec] if prec >= 0 else arg
        if isinstance(arg, dict):
            return go_str(arg)
        return None  # a verb that does not fit: sprintf writes %!verb(type=value)
    if verb == "q":
        if isinstance(arg, str):
            return "`" + arg + "`" if "#" in flags and "`" not in arg else quote(arg)
        if isinstance(arg, int) and not isinstance(arg, bool):
            return "'" + quote(chr(arg))[1:-1].replace("'", "\\'").replace('\\"', '"') + "'"
        if isinstance(arg, list | tuple):
            return "[" + " ".join(str(_verb(verb, a, flags, prec)) for a in arg) + "]"
        return None  # a verb that does not fit: sprintf writes %!verb(type=value)
    if verb == "t":
        return ("true" if arg else "false") if isinstance(arg, bool) else None
    if isinstance(arg, bool):
        return None  # a verb that does not fit: sprintf writes %!verb(type=value)
    if isinstance(arg, int):
        return _int_verb(verb, arg, flags, prec)
    if isinstance(arg, float) and verb in "eEfFgG":
        text = format_float(arg, verb.lower(), prec if prec >= 0 else (-1 if verb in "gG" else 6))
        if "+" in flags and arg >= 0:
            text = "+" + text
        return text.upper() if verb in "EG" else text
    if isinstance(arg, str) and verb in "xX":
        text = arg.encode().hex()
        return text.upper() if verb == "X" else text
    return None  # a verb that does not fit: sprintf writes %!verb(type=value)


def _int_verb(verb: str, arg: int, flags: str, prec: int) -> str | None:
    if verb == "d":
        text = str(arg)
    elif verb in "xX":
        text = format(arg, "x")
        if "#" in flags:
            text = ("-0x" + text[1:]) if arg < 0 else "0x" + text
        text = text.upper() if verb == "X" else text
    elif verb == "o":
        text = format(arg, "o")
    elif verb == "b":
        text = format(arg, "b")
    elif verb == "c":
        return chr(arg)
    elif verb == "U":
        return f"U+{arg:04X}"
    elif verb in "eEfFgG":
        return f"%!{verb}(int={arg})"
    else:
        return None  # a verb that does not fit: sprintf writes %!verb(type=value)
    if "+" in flags and arg >= 0:
        text = "+" + text
    return text


# encoding/json escapes these even inside strings; Python's encoder does not.
_HTML = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))
_LINE_SEPS = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_compact(value: object, *, escape_html: bool = False) -> str:
    """json.Marshal (escape_html=True) or docker's `json` template function (an Encoder with
    SetEscapeHTML(false), trailing newline trimmed). Dict order is kept: callers that stand
    for a Go map (sorted keys) pass sorted dicts; structs keep their field order."""
    import json  # lazily: `json` imports `re`, which a table never needs (start-up time)

    if _has_float(value):
        text = _encode(value, "", "")
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _escape(text, escape_html)


def json_indent(value: object, indent: str = "    ") -> str:
    """json.MarshalIndent(value, "", indent), HTML-escaped as the daemon's JSON is."""
    import json

    if _has_float(value):
        text = _encode(value, indent, "\n")
    else:
        text = json.dumps(value, ensure_ascii=False, indent=indent, separators=(",", ": "))
    return _escape(text, True)


def _escape(text: str, escape_html: bool) -> str:
    if escape_html and ("<" in text or ">" in text or "&" in text):
        for raw, esc in _HTML:
            text = text.replace(raw, esc)
    if "\u2028" in text or "\u2029" in text:
        for raw, esc in _LINE_SEPS:
            text = text.replace(raw, esc)
    return text


def _has_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def json_float(value: float) -> str:
    """encoding/json's float64: 'f' format, 'e' below 1e-6 or from 1e21 (e-07 -> e-7)."""
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        digits, dp, neg = _shortest(value)
        text = ("-" if neg else "") + _fmt_e(digits, dp)
        head, _, exp = text.partition("e")
        sign, num = exp[0], exp[1:].lstrip("0") or "0"
        return f"{head}e{sign}{num}"
    digits, dp, neg = _shortest(value)
    return ("-" if neg else "") + _fmt_f(digits, dp)


def _encode(value: object, indent: str, newline: str, depth: int = 0) -> str:
    """The slow path, used only when a float is inside (Python writes 1.0, Go writes 1)."""
    import json

    if isinstance(value, float):
        return json_float(value)
    sep = ": " if indent else ":"
    inner = newline + indent * (depth + 1)
    close = newline + indent * depth
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            json.dumps(str(k), ensure_ascii=False) + sep + _encode(v, indent, newline, depth + 1)
            for k, v in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + close + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        parts = [_encode(v, indent, newline, depth + 1) for v in value]
        return "[" + inner + ("," + inner).join(parts) + close + "]"
    return json.dumps(value, ensure_ascii=False)
