"""Text cells a spreadsheet will not run as formulas (CSV injection), for every CSV export.

Follows OWASP's CSV-injection advice (and ASVS 1.2.10), a little wider:

- a text cell that starts with `=`, `+`, `-`, `@`, TAB, CR, LF, NUL or `|` — or with
  their full-width and small forms (`＝ ＋ － ＠ ｜ ﹦ ﹢ ﹣`), or with any of them after
  leading blanks (spaces, no-break and ideographic spaces, zero-width characters, line
  breaks, quotes: some spreadsheets trim them first) — gets a leading single quote;
- the writer quotes every cell (`QUOTING`) and doubles embedded double quotes, so an
  embedded comma, quote or line break never starts a new cell for a CSV reader;
- a file read with another separator than ours (a spreadsheet set to `;`, as Spanish
  ones are, or told to split on TAB or `|`; a reader that ignores quotes and splits on line
  breaks) would start a cell after such a character: inside a text cell, a quote is put
  before a formula character that follows `;`, `；`, TAB, `|` or a line break, so
  `foo;=cmd|' /C calc'!A0` is written `'foo;'=cmd|' /C calc'!A0`.

Only text is changed: numbers, dates and NULLs are written as they are (a -5 in a numeric
column stays the number -5); the export decides what is text from the column's type.
The changed text reads the same in a spreadsheet, which hides the leading quote.
"""

from __future__ import annotations

import csv
import re
from typing import Final

QUOTING: Final = csv.QUOTE_ALL  # Final: csv.writer and pandas want the literal
_TRIGGERS = "=+\\-@\t\r\n\0|＝＋－＠｜﹦﹢﹣"
_BLANK = '\\s\u200b\u200c\u200d\u2060\ufeff"'  # and double quotes: `"=1+1"` too
_SEPARATORS = ";；\t|\r\n"
_LEADING = re.compile(f"^[{_BLANK}]*[{_TRIGGERS}]")
_INNER = re.compile(f"(?<=[{_SEPARATORS}])([{_BLANK}]*)(?=[{_TRIGGERS}])")
RISKY = re.compile(f"{_LEADING.pattern}|[{_SEPARATORS}][{_BLANK}]*[{_TRIGGERS}]")
"""Matches (with `search`) every text `neutralise` changes: a cheap test for a column."""


def neutralise(text: str) -> str:
    """`text` as a cell no spreadsheet runs: quotes before formula characters that start it
    or start a piece another separator would split off."""
    if not RISKY.search(text):
        return text
    text = _INNER.sub(r"\1'", text)
    return "'" + text if _LEADING.match(text) else text


def neutralise_cell(value: object) -> object:
    """`neutralise` for text; any other value (number, date, None) as it is."""
    return neutralise(value) if isinstance(value, str) else value
