"""Executing a parsed Go template (text/template's exec.go semantics).

The data is decoded JSON (dicts, lists, str, int, float, bool, None) or a docker formatter
context: a Python object whose methods carry docker's field names (`.ID`, `.Label "k"`),
called as Go calls a method. A dict key that is absent is `MISSING` ("<no value>"), or an
error with `missingkey=error` (docker's `inspect -f` fallback on raw JSON).
"""

from __future__ import annotations

from dockyard.cli.format.gofmt import MISSING, go_str, go_type
from dockyard.cli.format.templatefuncs import Func, FuncError, truth
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
    from collections.abc import Sequence

    from dockyard.cli.format.template import Template

_NOFINAL = object()  # no value piped in from the previous command (Go's missingVal)
_SIMPLE = (str, int, float, bool, list, tuple, dict)
_NORMAL, _BREAK, _CONTINUE = 0, 1, 2


def execute(tmpl: Template, data: object) -> str:
    state = _State(tmpl, data)
    try:
        state.walk(tmpl.nodes, data)
    except TemplateError as err:
        err.partial = "".join(state.out)  # type: ignore[attr-defined]  # Go keeps what it wrote
        raise
    return "".join(state.out)


class _State:
    __slots__ = ("missingkey_error", "node", "out", "text", "tmpl", "vars")

    def __init__(self, tmpl: Template, data: object) -> None:
        self.tmpl = tmpl
        self.text = tmpl.text
        self.missingkey_error = tmpl.missingkey_error
        self.out: list[str] = []
        self.vars: list[list[object]] = [["$", data]]
        self.node: Node = Text(0, "")  # where Go's s.at() last pointed: errors name it

    # --- errors -----------------------------------------------------------------------

    def error(self, node: Node | None, message: str) -> TemplateError:
        if node is None:
            node = self.node
        pos = node.pos
        line_start = self.text.rfind("\n", 0, pos) + 1
        line = self.text.count("\n", 0, pos) + 1
        context = str(node)
        return TemplateError(
            f'template: :{line}:{pos - line_start}: executing "" at <{context}>: {message}'
        )

    # --- statements -------------------------------------------------------------------

    def walk(self, nodes: Sequence[Node], dot: object) -> int:
        out = self.out
        for node in nodes:
            kind = type(node)
            if kind is Text:
                out.append(node.text)  # type: ignore[attr-defined]  # Text, by the check above
            elif kind is Action:
                self.node = node
                pipe = node.pipe  # type: ignore[attr-defined]  # Action, by the check above
                value = self.fast_field(pipe, dot)
                if value is _NOFINAL:
                    value = self.pipeline(pipe, dot)
                if not pipe.decl:
                    out.append(value if type(value) is str else go_str(value))
            elif kind is Branch:
                status = self.branch(node, dot)  # type: ignore[arg-type]  # Branch, checked
                if status:
                    return status
            elif kind is Jump:
                return _BREAK if node.kind == "break" else _CONTINUE  # type: ignore[attr-defined]
        return _NORMAL

    def fast_field(self, pipe: Pipe, dot: object) -> object:
        """`{{.Name}}` on a formatter context: the common case, without the general walk."""
        if pipe.decl or len(pipe.cmds) != 1:
            return _NOFINAL
        args = pipe.cmds[0].args
        if len(args) != 1 or type(args[0]) is not Field or len(args[0].names) != 1:
            return _NOFINAL
        if type(dot) is dict:
            value = dot.get(args[0].names[0], MISSING)
            return _NOFINAL if value is MISSING else value
        method = getattr(dot, args[0].names[0], None) if not isinstance(dot, _SIMPLE) else None
        if method is None or not callable(method) or not args[0].names[0][0].isupper():
            return _NOFINAL
        try:
            return method()
        except TypeError:
            return _NOFINAL  # a method wanting arguments: the general path says so
        # (a context method never raises TypeError itself; they take no or one string)

    def branch(self, node: Branch, dot: object) -> int:
        mark = len(self.vars)
        try:
            value = self.pipeline(node.pipe, dot)
            if node.kind == "range":
                return self.range(node, dot, value)
            if truth(value):
                status = self.walk(node.body, value if node.kind == "with" else dot)
            elif node.else_body is not None:
                status = self.walk(node.else_body, dot)
            else:
                status = _NORMAL
            return status
        finally:
            del self.vars[mark:]

    def range(self, node: Branch, dot: object, value: object) -> int:
        decl = node.pipe.decl
        items: list[tuple[object, object]]
        if isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, int) and not isinstance(value, bool):
            if len(decl) > 1:
                raise self.error(None, f"can't use {value} to iterate over more than one variable")
            items = [(i, i) for i in range(value)]
        elif value is None or value is MISSING:
            items = []
        else:
            raise self.error(None, f"range can't iterate over {go_str(value)}")
        for index, elem in items:
            if decl and node.pipe.assign:
                self.set_var(node, decl[0], index if len(decl) > 1 else elem)
                if len(decl) > 1:
                    self.set_var(node, decl[1], elem)
            elif decl:
                self.set_top(1, elem)  # the last declared variable takes the element
                if len(decl) > 1:
                    self.set_top(2, index)
            mark = len(self.vars)
            status = self.walk(node.body, elem)
            del self.vars[mark:]
            if status == _BREAK:
                break
        if not items and node.else_body is not None:
            return self.walk(node.else_body, dot)
        return _NORMAL

    # --- variables --------------------------------------------------------------------

    def set_top(self, n: int, value: object) -> None:
        self.vars[-n][1] = value

    def set_var(self, node: Node | None, name: str, value: object) -> None:
        for pair in reversed(self.vars):
            if pair[0] == name:
                pair[1] = value
                return
        raise self.error(node, f"undefined variable: {name}")

    def var(self, node: Node, name: str) -> object:
        for pair in reversed(self.vars):
            if pair[0] == name:
                return pair[1]
        raise self.error(node, f"undefined variable: {name}")

    # --- expressions ------------------------------------------------------------------

    def pipeline(self, pipe: Pipe, dot: object) -> object:
        self.node = pipe
        value: object = _NOFINAL
        for cmd in pipe.cmds:
            value = self.command(cmd, dot, value)
        for name in pipe.decl:
            if pipe.assign:
                self.set_var(None, name, value)
            else:
                self.vars.append([name, value])
        return value

    def command(self, cmd: Command, dot: object, final: object) -> object:
        first = cmd.args[0]
        kind = type(first)
        self.node = first
        if kind is Field:
            return self.field_chain(dot, dot, first, first.names, cmd.args, final)  # type: ignore[attr-defined]
        if kind is Identifier:
            return self.function(dot, first, cmd, cmd.args, final)  # type: ignore[arg-type]
        if kind is Chain:
            receiver = self.arg(dot, first.node)  # type: ignore[attr-defined]
            return self.field_chain(dot, receiver, first, first.names, cmd.args, final)  # type: ignore[attr-defined]
        if kind is Variable:
            value = self.var(first, first.names[0])  # type: ignore[attr-defined]
            if len(first.names) == 1:  # type: ignore[attr-defined]
                self.not_a_function(first, cmd.args, final)
                return value
            return self.field_chain(dot, value, first, first.names[1:], cmd.args, final)  # type: ignore[attr-defined]
        self.not_a_function(first, cmd.args, final)
        if kind is Pipe:
            return self.pipeline(first, dot)  # type: ignore[arg-type]
        assert isinstance(first, Literal)
        if first.kind == "dot":
            return dot
        if first.kind == "nil":
            raise self.error(first, "nil is not a command")
        return first.value

    def not_a_function(self, node: Node, args: Sequence[Node], final: object) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.error(node, f"can't give argument to non-function {args[0]}")

    def arg(self, dot: object, node: Node) -> object:
        """An operand's value as a function argument."""
        self.node = node
        kind = type(node)
        if kind is Field:
            return self.field_chain(dot, dot, node, node.names, [node], _NOFINAL)  # type: ignore[attr-defined]
        if kind is Variable:
            value = self.var(node, node.names[0])  # type: ignore[attr-defined]
            if len(node.names) == 1:  # type: ignore[attr-defined]
                return value
            return self.field_chain(dot, value, node, node.names[1:], [node], _NOFINAL)  # type: ignore[attr-defined]
        if kind is Pipe:
            return self.pipeline(node, dot)  # type: ignore[arg-type]
        if kind is Identifier:
            return self.function(dot, node, node, [node], _NOFINAL)  # type: ignore[arg-type]
        if kind is Chain:
            receiver = self.arg(dot, node.node)  # type: ignore[attr-defined]
            return self.field_chain(dot, receiver, node, node.names, [node], _NOFINAL)  # type: ignore[attr-defined]
        assert isinstance(node, Literal)
        return dot if node.kind == "dot" else node.value

    def field_chain(
        self,
        dot: object,
        receiver: object,
        node: Node,
        names: Sequence[str],
        args: Sequence[Node],
        final: object,
    ) -> object:
        for name in names[:-1]:
            receiver = self.field(dot, name, node, (), _NOFINAL, receiver)
        return self.field(dot, names[-1], node, args, final, receiver)

    def field(
        self,
        dot: object,
        name: str,
        node: Node,
        args: Sequence[Node],
        final: object,
        receiver: object,
    ) -> object:
        has_args = len(args) > 1 or final is not _NOFINAL
        if receiver is MISSING:
            if self.missingkey_error:
                raise self.error(None, f'nil data; no entry for key "{name}"')
            return MISSING
        if receiver is None:
            raise self.error(None, f"nil pointer evaluating interface {{}}.{name}")
        if type(receiver) is dict:
            if has_args:
                raise self.error(None, f"{name} is not a method but has arguments")
            value = receiver.get(name, MISSING)
            if value is MISSING and self.missingkey_error:
                raise self.error(None, f'map has no entry for key "{name}"')
            return value
        attr = _method(receiver, name)
        if attr is MISSING and isinstance(receiver, dict):  # a map type with methods
            if has_args:
                raise self.error(None, f"{name} is not a method but has arguments")
            return receiver.get(name, MISSING)
        if attr is MISSING:
            raise self.error(None, f"can't evaluate field {name} in type {go_type(receiver)}")
        if not callable(attr):
            if has_args:
                raise self.error(None, f"{name} is not a method but has arguments")
            return attr
        code = getattr(getattr(attr, "__func__", None), "__code__", None)
        count = max(len(args) - 1, 0) + (final is not _NOFINAL)
        want = code.co_argcount - 1 if code is not None else count
        if want != count:  # Go checks the count before evaluating any argument
            raise self.error(None, f"wrong number of args for {name}: want {want} got {count}")
        values = [self.validate(self.arg(dot, a), "any") for a in args[1:]]
        if final is not _NOFINAL:
            values.append(final)
        return attr(*[None if v is MISSING else v for v in values])

    def function(
        self, dot: object, ident: Identifier, cmd: Node, args: Sequence[Node], final: object
    ) -> object:
        """Go's evalFunction + evalCall: arity first, then each argument checked in turn."""
        self.node = ident
        name = ident.name
        func = self.tmpl.funcs[name]
        operands = args[1:]
        count = len(operands) + (final is not _NOFINAL)
        if not isinstance(func, Func):
            values = [self.arg(dot, a) for a in operands]
            if final is not _NOFINAL:
                values.append(final)
            return func(*values)  # type: ignore[operator]  # a caller's plain callable
        want = len(func.params)
        if (func.variadic is None and count != want) or count < want:
            least = "at least " if func.variadic is not None else ""
            raise self.error(
                None, f"wrong number of args for {name}: want {least}{want} got {count}"
            )
        if name in ("and", "or"):
            return self.and_or(dot, name, operands, final, count)
        values = []
        for i, node in enumerate(operands):
            values.append(self.typed_arg(dot, node, _param(func, i)))
        if final is not _NOFINAL:
            values.append(self.validate(final, _param(func, len(operands))))
        try:
            return func.call(*values)
        except FuncError as err:
            self.node = cmd
            raise self.error(cmd, f"error calling {name}: {err}") from None

    def and_or(
        self, dot: object, name: str, operands: Sequence[Node], final: object, count: int
    ) -> object:
        value: object = MISSING
        for i in range(count):
            value = self.arg(dot, operands[i]) if i < len(operands) else final
            if truth(value) != (name == "and"):
                return value
        return value

    def typed_arg(self, dot: object, node: Node, kind: str) -> object:
        """evalArg: literals must fit the parameter; other operands are validated."""
        if type(node) is Literal and kind != "any":
            self.node = node
            lit: Literal = node
            if lit.kind == "nil":
                raise self.error(None, f"cannot assign nil to {_GO_KIND[kind]}")
            if lit.kind != "dot":
                if not _kind_ok(kind, lit.value) or (lit.kind == "bool" and kind != "bool"):
                    expected = "integer" if kind == "int" else _GO_KIND[kind]
                    raise self.error(None, f"expected {expected}; found {lit.source}")
                return lit.value
        return self.validate(self.arg(dot, node), kind)

    def validate(self, value: object, kind: str) -> object:
        """validateType: a missing value becomes nil where nil fits, else Go's error."""
        if kind == "any":
            return None if value is MISSING else value
        if value is MISSING:
            raise self.error(None, f"invalid value; expected {_GO_KIND[kind]}")
        if not _kind_ok(kind, value):
            got = "interface {}" if value is None else go_type(value)
            raise self.error(None, f"wrong type for value; expected {_GO_KIND[kind]}; got {got}")
        return value


def _method(receiver: object, name: str) -> object:
    """An exported attribute of a formatter context (or of a map type with methods)."""
    if type(receiver) in _SIMPLE or not name[:1].isupper():
        return MISSING
    if isinstance(receiver, dict):
        attr = getattr(type(receiver), name, MISSING)
        return MISSING if attr is MISSING else getattr(receiver, name)
    return getattr(receiver, name, MISSING)


def _param(func: Func, i: int) -> str:
    return func.params[i] if i < len(func.params) else (func.variadic or "any")


_GO_KIND = {"string": "string", "int": "int", "strings": "[]string", "any": "interface {}"}


def _kind_ok(kind: str, value: object) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "strings":
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    return True
