"""A hint for the repair turn: the real columns near a column the database did not know.

A small model that wrote a column the table does not have (`customer_name` where it has
`name`) is told the close matches next to the database's error, which names only what
was wrong.
"""

from __future__ import annotations

import difflib
import re

from backend.domain import TableDoc

_UNKNOWN_COLUMN = re.compile(
    r"(?:no such column|unknown column|column not found)[:\s]*['`\"]?(?:\w+\.)?(\w+)", re.I
)


def column_hint(error: str, sql: str, tables: dict[str, TableDoc]) -> str | None:
    """For an unknown column, the closest real columns of the tables the query names."""
    match = _UNKNOWN_COLUMN.search(error)
    if match is None:
        return None
    wanted = match.group(1).lower()
    words = set(re.findall(r"\w+", sql.lower()))
    named = [t for name, t in tables.items() if name.lower() in words]
    candidates = {c.name: t.name for t in named for c in t.columns}
    close = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.5)
    close += [c for c in candidates if wanted in c.lower() and c not in close]
    if not close:
        return None
    shown = ", ".join(f"{candidates[c]}.{c}" for c in close[:3])
    return f"There is no column {wanted}; did you mean {shown}?"
