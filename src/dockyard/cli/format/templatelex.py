"""The lexer of a Go text/template (text/template/parse's lex.go), and Go literal decoding.

`lex(text)` splits a template into text items and actions, each action a list of tokens
`(kind, text, position)`, applying the `{{-` / `-}}` trim markers and skipping comments;
`unquote` and `parse_number` turn string and number tokens into values (strconv's rules).
"""

from __future__ import annotations

from dockyard.cli.format.templatenodes import TemplateError

_SPACE = " \t\r\n"
_ALNUM_EXTRA = "_"
Token = tuple[str, str, int]  # kind, text, position
# ("text", chunk, pos, []) or ("action", "", pos, tokens)
Item = tuple[str, str, int, list[Token]]


def lex(text: str) -> list[Item]:
    """The items of `text`; raises TemplateError (Go's "unclosed action"...)."""
    return _Lexer(text).run()


def _is_alnum(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    """Splits a template into text and the tokens of each action, applying `{{-` / `-}}`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[Item] = []

    def error(self, pos: int, message: str) -> TemplateError:
        return TemplateError(f"template: :{self.text.count(chr(10), 0, pos) + 1}: {message}")

    def run(self) -> list[Item]:
        text = self.text
        i = 0
        trim_next = False
        while True:
            j = text.find("{{", i)
            chunk = text[i:] if j < 0 else text[i:j]
            if trim_next:
                chunk = chunk.lstrip(_SPACE)
            if j < 0:
                if chunk:
                    self.items.append(("text", chunk, i, []))
                return self.items
            k = j + 2
            if text.startswith("-", k) and k + 1 < len(text) and text[k + 1] in _SPACE:
                chunk = chunk.rstrip(_SPACE)
                k += 2
            if chunk:
                self.items.append(("text", chunk, i, []))
            i, trim_next = self._action(j, k)

    def _action(self, start: int, k: int) -> tuple[int, bool]:
        text = self.text
        probe = k
        while probe < len(text) and text[probe] in _SPACE:
            probe += 1
        if text.startswith("/*", probe) or text.startswith("/*", k):
            at = probe if text.startswith("/*", probe) else k
            end = text.find("*/", at + 2)
            if end < 0:
                raise self.error(start, "unclosed comment")
            end += 2
            if text.startswith(" -}}", end):
                return end + 4, True
            if text.startswith("}}", end):
                return end + 2, False
            raise self.error(start, "comment ends before closing delimiter")
        tokens: list[Token] = []
        i = k
        depth = 0
        n = len(text)
        while True:
            if i >= n:
                raise self.error(start, "unclosed action")
            ch = text[i]
            if text.startswith("}}", i):
                if depth:
                    raise self.error(i, "unclosed left paren")
                self.items.append(("action", "", start, tokens))
                return i + 2, False
            if ch in _SPACE:
                j = i
                while j < n and text[j] in _SPACE:
                    j += 1
                if text.startswith("-}}", j) and j > i:
                    if depth:
                        raise self.error(i, "unclosed left paren")
                    self.items.append(("action", "", start, tokens))
                    return j + 3, True
                tokens.append(("space", text[i:j], i))
                i = j
            elif ch == '"':
                i = self._quoted(tokens, i)
            elif ch == "`":
                end = text.find("`", i + 1)
                if end < 0:
                    raise self.error(i, "unterminated raw quoted string")
                tokens.append(("rawstring", text[i : end + 1], i))
                i = end + 1
            elif ch == "'":
                i = self._char(tokens, i)
            elif ch == "$":
                j = i + 1
                while j < n and _is_alnum(text[j]):
                    j += 1
                tokens.append(("var", text[i:j], i))
                i = j
            elif ch == "." and i + 1 < n and (_is_alnum(text[i + 1]) and not text[i + 1].isdigit()):
                j = i + 1
                while j < n and _is_alnum(text[j]):
                    j += 1
                tokens.append(("field", text[i + 1 : j], i))
                i = j
            elif ch.isdigit() or (ch in "+-." and i + 1 < n and text[i + 1].isdigit()):
                i = self._number(tokens, i)
            elif ch == ".":
                tokens.append(("dot", ".", i))
                i += 1
            elif ch.isalpha() or ch == "_":
                j = i
                while j < n and _is_alnum(text[j]):
                    j += 1
                word = text[i:j]
                kind = "bool" if word in ("true", "false") else "nil" if word == "nil" else "ident"
                tokens.append((kind, word, i))
                i = j
            elif ch == "(":
                depth += 1
                tokens.append(("(", ch, i))
                i += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raise self.error(i, "unexpected right paren")
                tokens.append((")", ch, i))
                i += 1
            elif ch == "|" or ch == ",":
                tokens.append((ch, ch, i))
                i += 1
            elif ch == ":":
                if not text.startswith(":=", i):
                    raise self.error(i, "expected :=")
                tokens.append((":=", ":=", i))
                i += 2
            elif ch == "=":
                tokens.append(("=", "=", i))
                i += 1
            elif ch.isascii() and ch.isprintable():
                tokens.append(("punct", ch, i))  # the parser says "unexpected "#" in command"
                i += 1
            else:
                raise self.error(i, f"bad character U+{ord(ch):04X} '{ch}'")

    def _quoted(self, tokens: list[Token], i: int) -> int:
        text = self.text
        j = i + 1
        while True:
            if j >= len(text) or text[j] == "\n":
                raise self.error(i, "unterminated quoted string")
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == '"':
                tokens.append(("string", text[i : j + 1], i))
                return j + 1
            j += 1

    def _char(self, tokens: list[Token], i: int) -> int:
        text = self.text
        j = i + 1
        while True:
            if j >= len(text) or text[j] == "\n":
                raise self.error(i, "unterminated character constant")
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == "'":
                tokens.append(("char", text[i : j + 1], i))
                return j + 1
            j += 1

    def _number(self, tokens: list[Token], i: int) -> int:
        text = self.text
        j = i
        if text[j] in "+-":
            j += 1
        while j < len(text) and (_is_alnum(text[j]) or text[j] == "."):
            # an exponent sign belongs to the number: 1e+3, 0x1p-2
            j += 1
            if j < len(text) and text[j] in "+-" and text[j - 1] in "eEpP":
                j += 1
        tokens.append(("number", text[i:j], i))
        return j


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def unquote(source: str) -> str:
    """strconv.Unquote of a Go string literal ("..." or `...`)."""
    if source[0] == "`":
        return source[1:-1].replace("\r", "")
    body = source[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        i += 2
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
        elif esc in "\\'\"":
            out.append(esc)
        elif esc in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[esc]
            out.append(chr(int(body[i : i + size], 16)))
            i += size
        elif esc in "01234567":
            out.append(chr(int(body[i - 1 : i + 2], 8)))
            i += 2
        else:
            raise ValueError(f"invalid escape \\{esc}")
    return "".join(out)


def parse_number(source: str) -> int | float:
    """A Go number literal: 42, -7, 0x1F, 0o17, 017, 0b101, 1_000, 1.5, 1e3, .5."""
    text = source.replace("_", "")
    try:
        if text.lower().lstrip("+-").startswith(("0x", "0o", "0b")):
            return int(text, 0)
        body = text.lstrip("+-")
        if len(body) > 1 and body.startswith("0") and body.isdigit():
            return int(text[: len(text) - len(body)] + "0o" + body[1:], 0)
        return int(text)
    except ValueError:
        return float(text)


# --- parser -------------------------------------------------------------------------------
