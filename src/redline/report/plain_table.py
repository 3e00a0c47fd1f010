"""Big tables drawn without rich's layout engine.

rich lays a table out cell by cell (measuring, folding, padding segments): about 0.28 ms a row, 7.5 s for
the 30,000 rows of a 50,000-object scan. Above :data:`PLAIN_ROWS` rows, :func:`print_table` draws the
same box (rich's default heavy-head box, title above, one row per line and one line per line of a cell),
with each column as wide as its widest cell instead of folded to the console's width, and no colour.
Smaller tables are printed by rich, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

#: Tables with more rows than this are drawn plainly (rich takes ~0.28 ms a row: 0.6 s at this size).
PLAIN_ROWS = 2000
#: Lines handed to the console at once.
_BATCH = 2000


def print_table(console: Console, table: Table) -> None:
    """Print ``table``: by rich when it is small, plainly (:func:`plain_lines`) when it is big."""
    if table.row_count <= PLAIN_ROWS:
        console.print(table)
        return
    batch: list[str] = []
    for line in plain_lines(console, table):
        batch.append(line)
        if len(batch) >= _BATCH:
            _out(console, batch)
            batch = []
    _out(console, batch)


def _out(console: Console, lines: list[str]) -> None:
    if lines:
        console.out("\n".join(lines), highlight=False)


def plain_lines(console: Console, table: Table) -> Iterator[str]:
    """The lines of ``table`` in rich's default box, columns as wide as their widest cell."""
    columns = [[_plain(console, cell) for cell in column.cells] for column in table.columns]
    headers = [_plain(console, column.header) for column in table.columns]
    widths = [
        max([_width(h), *(_width(c) for c in cells)]) for h, cells in zip(headers, columns, strict=True)
    ]
    if table.title is not None:  # left-aligned over the table and padded to its width, as rich does
        title = _plain(console, table.title)
        yield title + " " * max(0, sum(widths) + 3 * len(widths) + 1 - _width(title))
    yield _rule("┏", "━", "┳", "┓", widths)
    yield from _row(headers, widths, "┃")
    yield _rule("┡", "━", "╇", "┩", widths)
    for row in zip(*columns, strict=True):
        yield from _row(row, widths, "│")
    yield _rule("└", "─", "┴", "┘", widths)


def _plain(console: Console, cell: object) -> str:
    """A cell's text as rich would show it: markup in a string applied (and so dropped), no style."""
    if isinstance(cell, Text):
        return cell.plain
    text = str(cell)
    if "[" in text or ":" in text:  # markup or an :emoji: code: let rich read it as it would
        return console.render_str(text).plain
    return text


def _width(text: str) -> int:
    return max((len(line) if line.isascii() else cell_len(line) for line in text.split("\n")), default=0)


def _rule(left: str, line: str, cross: str, right: str, widths: Iterable[int]) -> str:
    return left + cross.join(line * (w + 2) for w in widths) + right


def _row(cells: Iterable[str], widths: list[int], bar: str) -> Iterator[str]:
    parts = [cell.split("\n") for cell in cells]
    for i in range(max(len(p) for p in parts)):
        shown = []
        for lines, width in zip(parts, widths, strict=True):
            text = lines[i] if i < len(lines) else ""
            pad = width - (len(text) if text.isascii() else cell_len(text))
            shown.append(f" {text}{' ' * pad} ")
        yield bar + bar.join(shown) + bar
