"""Go's text/template, as docker's `--format` and `inspect -f` use it.

`parse(text)` lexes a template (`templatelex.py`) and parses it (this module) into a small
tree (`templatenodes.py`); `Template.execute` walks it (`templateexec.py`) with Go's
semantics: truthiness, short-circuit `and`/`or`, maps ranged in key order, `<no value>` for
a missing map key, Go's `%v` printing (`gofmt.py`). The functions are text/template's
builtins plus docker's `templates.basicFunctions` (`templatefuncs.py`). Errors read as Go's:
`template: :1: function "foo" not defined` when parsing, `template: :1:2: executing "" at
<.Foo>: can't evaluate field Foo in type ...` when executing; the CLI prefixes "template
parsing error: " as docker does.
"""

from __future__ import annotations

from dockyard.cli.format.templatelex import lex, parse_number, unquote
from dockyard.cli.format.templatenodes import (
    Action,
    Branch,
    Chain,
    Command,
    Field,
    Identifier,
    Jump,
    Literal,
    Node,
    Pipe,
    TemplateError,
    Text,
    Variable,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from dockyard.cli.format.templatelex import Item, Token

__all__ = ["Template", "TemplateError", "parse"]


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
    def __init__(self, text: str, items: list[Item], funcs: Mapping[str, object]) -> None:
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
    items = lex(text)
    return Template(text, _Parser(text, items, table).parse(), table)
