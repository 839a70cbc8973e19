"""Dockerfile words: BuildKit's `parseWords` split and its shell lexer's `ProcessWord`.

Dockerfile arguments are not run through a shell, but their words follow shell rules the
builder implements itself (moby/buildkit frontend/dockerfile/shell): single quotes are
literal; double quotes keep `\\"`, `\\\\` and `\\$` escapes and expand variables; outside
quotes a backslash escapes the next character; `$NAME`, `${NAME}`, `${NAME:-default}`,
`${NAME-default}`, `${NAME:+alt}`, `${NAME+alt}`, `${NAME:?msg}` and `${NAME?msg}` expand from
the image's environment so far. Unset names expand to nothing.

`split_words` only splits on whitespace outside quotes, keeping quotes and escapes for
`process_word` to handle (the two steps are separate in BuildKit as well: ENV/LABEL pairs
are split first, then each key and value is processed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dockyard import errdefs

ESCAPE = "\\"


def env_map(env: Sequence[str] | None) -> dict[str, str]:
    """["K=v", ...] as a mapping (a later entry wins, as in a process environment)."""
    out: dict[str, str] = {}
    for item in env or ():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def split_words(rest: str) -> list[str]:
    """BuildKit's parseWords: whitespace-separated words; quotes and escapes are kept."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    blank_ok = False
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == ESCAPE and quote != "'":
                if i + 1 == n:
                    break  # an escape at the very end is dropped
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
        elif ch.isspace():
            if blank_ok or word:
                words.append("".join(word))
            word, blank_ok = [], False
        else:
            if ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == ESCAPE:
                if i + 1 == n:
                    break
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
        i += 1
    if blank_ok or word:
        words.append("".join(word))
    return words


def process_word(word: str, env: Mapping[str, str]) -> str:
    """Quote removal, escapes and variable expansion of one word (ProcessWord)."""
    return _Lexer(word, env).run()


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str]) -> None:
        self.text = text
        self.env = env
        self.i = 0

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.i += 1
        return ch

    def run(self, stop: str = "") -> str:
        out: list[str] = []
        while self.i < len(self.text):
            ch = self.peek()
            if stop and ch == stop:
                break
            self.i += 1
            if ch == "'":
                end = self.text.find("'", self.i)
                if end < 0:
                    raise errdefs.InvalidArgument(
                        "unexpected end of statement while looking for matching single-quote"
                    )
                out.append(self.text[self.i : end])
                self.i = end + 1
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == ESCAPE:
                out.append(self.take())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)
        return "".join(out)

    def double_quoted(self) -> str:
        out: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise errdefs.InvalidArgument(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                return "".join(out)
            if ch == ESCAPE and self.peek() in ('"', "$", ESCAPE):
                out.append(self.take())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)

    def variable(self) -> str:
        """After "$": a name, or a ${...} expression; a lone "$" stays as it is."""
        if self.peek() == "{":
            self.i += 1
            return self.braced()
        name = self.name()
        if not name:
            return "$"
        return self.env.get(name, "")

    def name(self) -> str:
        start = self.i
        if self.peek().isdigit():
            self.i += 1  # positional parameters are one digit: $1 is "1", not "12..."
            return self.text[start : self.i]
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.i += 1
        return self.text[start : self.i]

    def braced(self) -> str:
        name = self.name()
        if not name:
            raise errdefs.InvalidArgument(f"bad substitution in {self.text!r}")
        ch = self.take()
        if ch == "}":
            return self.env.get(name, "")
        colon = ch == ":"
        if colon:
            ch = self.take()
        if ch not in ("-", "+", "?"):
            raise errdefs.InvalidArgument(
                f"unsupported modifier ({ch}) in substitution: {self.text!r}"
            )
        word = self.run(stop="}")
        if self.take() != "}":
            raise errdefs.InvalidArgument(f"missing '}}' in substitution: {self.text!r}")
        value = self.env.get(name)
        is_set = value is not None and (value != "" or not colon)
        if ch == "-":
            return value if is_set and value is not None else word
        if ch == "+":
            return word if is_set else ""
        if not is_set:
            raise errdefs.InvalidArgument(f"{name}: {word or 'is not allowed to be unset'}")
        return value or ""
