"""The parse tree of a Go text/template (text/template/parse's node.go), and its error.

`template.py` builds the tree (with `templatelex.py`'s tokens); `templateexec.py` walks it.
Each node keeps its offset in the source (`pos`) for Go's "template: :LINE:" messages, and
prints back as Go's `String()` does (the `<.Foo>` in "executing ... at <.Foo>").
"""

from __future__ import annotations

from dockyard import errdefs


class TemplateError(errdefs.InvalidArgument):
    """A template that does not parse or fails while executing (Go's message)."""


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
