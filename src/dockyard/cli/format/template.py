"""Go's text/template, as docker's `--format` and `inspect -f` use it.

`parse(text)` lexes and parses a template into a small tree (this module); `Template.execute`
walks it (`templateexec.py`) with Go's semantics: truthiness, short-circuit `and`/`or`, maps
ranged in key order, `<no value>` for a missing map key, Go's `%v` printing (`gofmt.py`).
The functions are text/template's builtins plus docker's `templates.basicFunctions`
(`templatefuncs.py`). Errors read as Go's: `template: :1: function "foo" not defined` when
parsing, `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type ...` when
executing; the CLI prefixes "template parsing error: " as docker does.
"""

from __future__ import annotations

from dockyard import errdefs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


class TemplateError(errdefs.InvalidArgument):
    """A template that does not parse or fails while executing (Go's message)."""


# --- nodes --------------------------------------------------------------------------------


class Node:
    __slots__ = ("pos",)

    def __init__(self, pos: int) -> None:
        self.pos = pos


class Text(Node):
    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        super().__init__(pos)
        self.text = text


class Field(Node):
    """`.A.B`: names ["A", "B"]."""

    __slots__ = ("names",)

    def __init__(self, pos: int, names: list[str]) -> None:
        super().__init__(pos)
        self.names = names

    def __str__(self) -> str:
        return "".join("." + n for n in self.names)


class Variable(Node):
    """`$x.A`: names ["$x", "A"]."""

    __slots__ = ("names",)

    def __init__(self, pos: int, names: list[str]) -> None:
        super().__init__(pos)
        self.names = names

    def __str__(self) -> str:
        return ".".join(self.names)


class Literal(Node):
    """dot, nil, true/false, a number or a string: `value` is what it evaluates to."""

    __slots__ = ("kind", "source", "value")

    def __init__(self, pos: int, kind: str, source: str, value: object) -> None:
        super().__init__(pos)
        self.kind = kind  # "dot" "nil" "bool" "number" "string"
        self.source = source
        self.value = value

    def __str__(self) -> str:
        return self.source


class Identifier(Node):
    """A function name."""

    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.name = name

    def __str__(self) -> str:
        return self.name


class Chain(Node):
    """`(pipeline).A.B` or `func.A`."""

    __slots__ = ("names", "node")

    def __init__(self, pos: int, node: Node, names: list[str]) -> None:
        super().__init__(pos)
        self.node = node
        self.names = names

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + n for n in self.names)


class Command(Node):
    __slots__ = ("args",)

    def __init__(self, pos: int, args: list[Node]) -> None:
        super().__init__(pos)
        self.args = args

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


class Pipe(Node):
    """`$x := cmd | cmd`; `assign` is `=` rather than `:=`."""

    __slots__ = ("assign", "cmds", "decl")

    def __init__(self, pos: int, decl: list[str], assign: bool, cmds: list[Command]) -> None:
        super().__init__(pos)
        self.decl = decl
        self.assign = assign
        self.cmds = cmds

    def __str__(self) -> str:
        head = ", ".join(self.decl) + (" = " if self.assign else " := ") if self.decl else ""
        return head + " | ".join(str(c) for c in self.cmds)


class Action(Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: Pipe) -> None:
        super().__init__(pos)
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class Branch(Node):
    """`if`, `range` or `with`: the pipeline, its list and the `else` list (or None)."""

    __slots__ = ("body", "else_body", "kind", "pipe")

    def __init__(
        self, pos: int, kind: str, pipe: Pipe, body: list[Node], else_body: list[Node] | None
    ) -> None:
        super().__init__(pos)
        self.kind = kind
        self.pipe = pipe
        self.body = body
        self.else_body = else_body

    def __str__(self) -> str:
        return "{{" + self.kind + " " + str(self.pipe) + "}}"


class Jump(Node):
    """`{{break}}` or `{{continue}}` inside a range."""

    __slots__ = ("kind",)

    def __init__(self, pos: int, kind: str) -> None:
        super().__init__(pos)
        self.kind = kind

    def __str__(self) -> str:
        return "{{" + self.kind + "}}"


# --- lexer --------------------------------------------------------------------------------

_SPACE = " \t\r\n"
_ALNUM_EXTRA = "_"
Token = tuple[str, str, int]  # kind, text, position


def _is_alnum(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    """Splits a template into text and the tokens of each action, applying `{{-` / `-}}`."""

    def __init__(self, text: str) -> None:
        self.text = text
        # ("text", str, pos, []) or ("action", "", pos, tokens)
        self.items: list[tuple[str, str, int, list[Token]]] = []

    def error(self, pos: int, message: str) -> TemplateError:
        return TemplateError(f"template: :{self.text.count(chr(10), 0, pos) + 1}: {message}")

    def run(self) -> list[tuple[str, str, int, list[Token]]]:
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

_KEYWORDS = frozenset({"if", "range", "with", "end", "else", "break", "continue"})
_ITEM_KEYWORDS = frozenset({*_KEYWORDS, "block", "define", "template"})
_OPERAND_START = frozenset(
    {
        "eof",
        ")",
        "field",
        "var",
        "ident",
        "dot",
        "nil",
        "bool",
        "string",
        "rawstring",
        "char",
        "number",
        "(",
    }
)
_UNSUPPORTED = frozenset({"define", "template", "block"})


class _Parser:
    def __init__(
        self, text: str, items: list[tuple[str, str, int, list[Token]]], funcs: Mapping[str, object]
    ) -> None:
        self.text = text
        self.items = items
        self.funcs = funcs
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        # the tokens of the action being parsed
        self.toks: list[Token] = []
        self.t = 0

    def error(self, pos: int, message: str) -> TemplateError:
        return TemplateError(f"template: :{self.text.count(chr(10), 0, pos) + 1}: {message}")

    def parse(self) -> list[Node]:
        nodes, stop = self.list_until()
        if stop is not None:
            word, pos = stop
            raise self.error(pos, f"unexpected {{{{{word}}}}}")
        return nodes

    def list_until(self) -> tuple[list[Node], tuple[str, int] | None]:
        """Nodes up to an `{{end}}` or `{{else ...}}` (returned, the action's tokens left in
        self.toks) or the end of the template (None)."""
        nodes: list[Node] = []
        while self.i < len(self.items):
            kind, text, pos, tokens = self.items[self.i]
            self.i += 1
            if kind == "text":
                nodes.append(Text(pos, text))
                continue
            self.toks, self.t = tokens, 0
            first = self.peek_nonspace()
            word = first[1] if first[0] == "ident" else ""
            if word in ("end", "else"):
                self.next_nonspace()
                return nodes, (word, pos)
            if word in ("if", "range", "with"):
                self.next_nonspace()
                nodes.append(self.branch(word, pos))
            elif word in ("break", "continue"):
                self.next_nonspace()
                if not self.range_depth:
                    raise self.error(pos, f"{{{{{word}}}}} outside {{{{range}}}}")
                self.expect_end(word)
                nodes.append(Jump(pos, word))
            elif word in _UNSUPPORTED:
                raise self.error(pos, f"{{{{{word}}}}} is not supported")
            else:
                pipe = self.pipeline("command", pos)
                nodes.append(Action(pos, pipe))
        return nodes, None

    def branch(self, kind: str, pos: int) -> Branch:
        mark = len(self.vars)
        pipe = self.pipeline(kind, pos)
        if kind == "range":
            self.range_depth += 1
        body, stop = self.list_until()
        if kind == "range":
            self.range_depth -= 1
        else_body: list[Node] | None = None
        if stop is None:
            raise self.error(len(self.text), "unexpected EOF")
        if stop[0] == "else":
            nxt = self.peek_nonspace()
            if nxt[0] == "ident" and nxt[1] in ("if", "with") and kind != "range":
                # {{else if ...}} / {{else with ...}}: a nested branch sharing our {{end}}
                self.next_nonspace()
                else_body = [self.branch(nxt[1], stop[1])]
            else:
                self.expect_end("else")
                else_body, stop = self.list_until()
                if stop is None:
                    raise self.error(len(self.text), "unexpected EOF")
                if stop[0] != "end":
                    raise self.error(stop[1], "expected end; found {{else}}")
                self.expect_end("end")
        else:
            self.expect_end("end")
        del self.vars[mark:]
        return Branch(pos, kind, pipe, body, else_body)

    # token helpers over self.toks
    def peek(self) -> Token:
        return self.toks[self.t] if self.t < len(self.toks) else ("eof", "", -1)

    def next(self) -> Token:
        tok = self.peek()
        self.t += 1
        return tok

    def peek_nonspace(self) -> Token:
        while self.peek()[0] == "space":
            self.t += 1
        return self.peek()

    def next_nonspace(self) -> Token:
        tok = self.peek_nonspace()
        self.t += 1
        return tok

    def expect_end(self, context: str) -> None:
        tok = self.next_nonspace()
        if tok[0] != "eof":
            raise self.error(tok[2], f"unexpected {self.describe(tok)} in {context}")

    def describe(self, tok: Token) -> str:
        """A token as Go's item.String() shows it in "unexpected ..." errors."""
        from dockyard.cli.format.gofmt import quote

        if tok[0] == "eof":
            return '"}}"'
        if tok[0] in ("dot", "nil") or (tok[0] == "ident" and tok[1] in _ITEM_KEYWORDS):
            return f"<{tok[1]}>"
        if tok[0] == "field":
            return quote("." + tok[1])
        return quote(tok[1][:10]) + "..." if len(tok[1]) > 10 else quote(tok[1])

    def pipeline(self, context: str, pos: int, *, inner: bool = False) -> Pipe:
        decl: list[str] = []
        assign = False
        tok = self.peek_nonspace()
        if tok[0] == "var":
            save = self.t
            self.t += 1
            after = self.peek_nonspace()
            if after[0] in (":=", "="):
                self.t += 1
                decl, assign = [tok[1]], after[0] == "="
            elif after[0] == ",":
                self.t += 1
                second = self.next_nonspace()
                op = self.next_nonspace()
                if context != "range" or second[0] != "var" or op[0] not in (":=", "="):
                    raise self.error(tok[2], f"too many declarations in {context}")
                decl, assign = [tok[1], second[1]], op[0] == "="
            else:
                self.t = save
        if not assign:  # an assignment to an undeclared variable fails when it runs (as Go)
            self.vars.extend(decl)
        cmds: list[Command] = []
        while True:
            tok = self.peek_nonspace()
            if tok[0] not in _OPERAND_START:
                raise self.error(tok[2], f"unexpected {self.describe(tok)} in {context}")
            if tok[0] == "eof" or tok[0] == ")":
                if inner and tok[0] == "eof":
                    raise self.error(pos, "unclosed left paren")
                if not inner and tok[0] == ")":
                    raise self.error(tok[2], "unexpected right paren")
                break
            cmds.append(self.command())
            if self.peek()[0] == "|":
                self.t += 1
        if not cmds:
            raise self.error(pos, f"missing value for {context}")
        for stage, cmd in enumerate(cmds[1:], start=2):
            first = cmd.args[0]
            if isinstance(first, Literal):
                raise self.error(first.pos, f"non executable command in pipeline stage {stage}")
        return Pipe(pos, decl, assign, cmds)

    def command(self) -> Command:
        args: list[Node] = []
        pos = self.peek_nonspace()[2]
        while True:
            tok = self.peek_nonspace()
            if tok[0] in ("eof", ")", "|"):
                break
            args.append(self.operand())
            nxt = self.peek()
            if nxt[0] in ("space", "eof", ")", "|"):
                continue
            raise self.error(nxt[2], f"unexpected {self.describe(nxt)} in operand")
        if not args:
            raise self.error(pos, "missing value for command")
        return Command(pos, args)

    def operand(self) -> Node:
        node = self.term()
        names: list[str] = []
        chain_pos = self.peek()[2]  # Go places a chained node at its first chained field
        while self.peek()[0] == "field":
            names.append(self.next()[1])
        if not names:
            return node
        if isinstance(node, Field):
            return Field(chain_pos, node.names + names)
        if isinstance(node, Variable):
            return Variable(chain_pos, node.names + names)
        if isinstance(node, Literal):
            from dockyard.cli.format.gofmt import quote

            raise self.error(node.pos, f"unexpected . after term {quote(str(node))}")
        return Chain(chain_pos, node, names)

    def term(self) -> Node:
        kind, text, pos = self.next_nonspace()
        if kind == "field":
            return Field(pos, [text])
        if kind == "var":
            if text not in self.vars:
                raise self.error(pos, f'undefined variable "{text}"')
            return Variable(pos, [text])
        if kind == "ident":
            if text in _KEYWORDS or text in _UNSUPPORTED:
                raise self.error(pos, f"unexpected <{text}> in command")
            if text not in self.funcs:
                raise self.error(pos, f'function "{text}" not defined')
            return Identifier(pos, text)
        if kind == "dot":
            return Literal(pos, "dot", ".", None)
        if kind == "nil":
            return Literal(pos, "nil", "nil", None)
        if kind == "bool":
            return Literal(pos, "bool", text, text == "true")
        if kind in ("string", "rawstring"):
            try:
                return Literal(pos, "string", text, unquote(text))
            except (ValueError, IndexError):
                raise self.error(pos, "invalid syntax") from None
        if kind == "char":
            try:
                value = unquote('"' + text[1:-1] + '"')
            except (ValueError, IndexError):
                value = ""
            if len(value) != 1:
                raise self.error(pos, f"malformed character constant: {text}")
            return Literal(pos, "number", text, ord(value))
        if kind == "number":
            try:
                return Literal(pos, "number", text, parse_number(text))
            except ValueError:
                raise self.error(pos, f'illegal number syntax: "{text}"') from None
        if kind == "(":
            pipe = self.pipeline("parenthesized pipeline", pos, inner=True)
            if self.next_nonspace()[0] != ")":
                raise self.error(pos, "unclosed left paren")
            return pipe
        raise self.error(pos, f"unexpected {self.describe((kind, text, pos))} in operand")


class Template:
    """A parsed template; `execute(data)` renders it (raises TemplateError)."""

    __slots__ = ("funcs", "missingkey_error", "nodes", "text")

    def __init__(self, text: str, nodes: list[Node], funcs: Mapping[str, object]) -> None:
        self.text = text
        self.nodes = nodes
        self.funcs = funcs
        self.missingkey_error = False  # Go's Option("missingkey=error"), as `inspect -f` sets

    def execute(self, data: object) -> str:
        from dockyard.cli.format.templateexec import execute

        return execute(self, data)

    def with_funcs(self, funcs: Mapping[str, object]) -> Template:
        """The same tree with other functions (docker's HeaderFunctions for table headers)."""
        return Template(self.text, self.nodes, {**self.funcs, **funcs})


def parse(text: str, funcs: Mapping[str, Callable[..., object]] | None = None) -> Template:
    """Parse `text` with the builtins, docker's functions and `funcs`; raise TemplateError."""
    from dockyard.cli.format.templatefuncs import FUNCS

    table: dict[str, object] = dict(FUNCS)
    if funcs:
        table.update(funcs)
    items = _Lexer(text).run()
    return Template(text, _Parser(text, items, table).parse(), table)
