"""Go's text/tabwriter, as docker's table output uses it.

docker's formatter writes the header and the rows into `tabwriter.NewWriter(out, 10, 1, 3,
' ', 0)` (docker/cli cli/command/formatter/formatter.go, its fork of text/tabwriter that
measures cells with go-runewidth): a cell is text terminated by a tab; a column's width is
the widest cell plus 3, at least 10, over each block of consecutive lines that have a
tab-terminated cell in that column; the last cell of a line is never padded.
"""

from __future__ import annotations

MINWIDTH = 10
PADDING = 3


def cell_width(text: str) -> int:
    """Display width (go-runewidth): East Asian wide and full-width runes count 2,
    combining marks 0."""
    if text.isascii():
        return len(text)
    import unicodedata

    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def align(text: str, *, minwidth: int = MINWIDTH, padding: int = PADDING) -> str:
    """Write `text` through a tabwriter and flush it: the aligned text."""
    rows = [line.split("\t") for line in text.split("\n")]
    widths_of = [[cell_width(c) for c in cells] for cells in rows]
    out: list[str] = []
    _format(rows, widths_of, 0, len(rows), [], out, minwidth, padding)
    return "".join(out)


def _format(
    rows: list[list[str]],
    cellw: list[list[int]],
    line0: int,
    line1: int,
    widths: list[int],
    out: list[str],
    minwidth: int,
    padding: int,
) -> None:
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(rows[this]) - 1:
            this += 1
            continue
        # a block of lines with a tab-terminated cell in this column begins here
        _write(rows, cellw, line0, this, widths, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(rows[this]) - 1:
            w = cellw[this][column] + padding
            if w > width:
                width = w
            this += 1
        widths.append(width)
        _format(rows, cellw, line0, this, widths, out, minwidth, padding)
        widths.pop()
        line0 = this
    _write(rows, cellw, line0, line1, widths, out)


def _write(
    rows: list[list[str]],
    cellw: list[list[int]],
    line0: int,
    line1: int,
    widths: list[int],
    out: list[str],
) -> None:
    last = len(rows) - 1
    nwidths = len(widths)
    for i in range(line0, line1):
        cells = rows[i]
        sizes = cellw[i]
        for j, text in enumerate(cells):
            out.append(text)
            if j < nwidths:
                out.append(" " * (widths[j] - sizes[j]))
        if i != last:
            out.append("\n")
