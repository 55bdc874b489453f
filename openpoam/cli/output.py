"""Everything the command line prints goes through here.

Stored text (titles from scanner files, names, descriptions) is data, never markup: a title
like ``Directory listing at [/admin] endpoint`` must print as written, and a title holding
terminal escape sequences must not reach the terminal as control codes. So nothing here
hands a ``str`` to Rich's markup parser: text becomes ``rich.text.Text`` (never parsed) after
control characters are made visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

# C0 controls except tab and newline, DEL and C1 controls (ESC, CSI ...), and the Unicode
# bidirectional overrides and line separators that make a terminal show text other than
# what is stored: written out as \xNN or \uNNNN.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
# JSON escapes C0 controls itself; DEL and C1 it leaves raw, so they are escaped here.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: Any) -> str:
    """``value`` as text with every control character written out visibly."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(_visible, text)


def json_text(text: str) -> str:
    """JSON output that is also safe on a terminal (the escapes are valid JSON)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def one_line(value: Any) -> str:
    """``safe`` text on one line: an error message must stay one line."""
    return " ".join(safe(value).replace("\t", " ").split())


def text(value: Any, style: str = "") -> Text:
    """A Rich renderable that shows ``value`` literally."""
    return Text(safe(value), style=style)


def console(err: bool = False) -> Console:
    return Console(stderr=err, highlight=False)


def echo(message: Any = "", err: bool = False) -> None:
    """Print a plain line (stored text made safe); no markup, no highlighting."""
    click.echo(safe(message), err=err)


def warn(message: Any) -> None:
    click.echo(f"warning: {one_line(message)}", err=True)


def table(columns: Iterable[str], rows: Iterable[Iterable[Any]], *, title: Any = None,
          header: bool = True, no_wrap_first: bool = False,
          whole: Iterable[str] = ()) -> Table:
    """A Rich table whose title and cells are shown literally.

    Columns named in ``whole`` (identifiers, dates) are never wrapped or cut; the other
    columns fold their text onto more lines to make room, never end in an ellipsis.
    """
    columns, whole = list(columns), set(whole)
    cells = [[text(cell) for cell in row] for row in rows]
    result = Table(title=text(title) if title is not None else None, show_header=header)
    for index, column in enumerate(columns):
        keep = column in whole or (no_wrap_first and index == 0)
        # Rich shrinks even unwrappable columns on a narrow terminal: a minimum width as
        # wide as the longest value is what keeps it whole.
        widest = max((cell_len(row[index].plain) for row in cells), default=0) if keep else None
        result.add_column(text(column), no_wrap=keep, overflow="fold",
                          min_width=max(widest, cell_len(column)) if keep else None)
    for row in cells:
        result.add_row(*row)
    return result


def print_table(columns: Iterable[str], rows: Iterable[Iterable[Any]], **options: Any) -> None:
    console().print(table(columns, rows, **options))


def print_text(*parts: Text | str) -> None:
    """Print pieces side by side; plain ``str`` pieces are stored text, made safe."""
    line = Text()
    for part in parts:
        line.append(part if isinstance(part, Text) else text(part))
    console().print(line)

