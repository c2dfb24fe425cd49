"""CSV export of a whole result, up to the export cap, through the same guard as the page.

The page shows at most `row_limit` rows; a download re-runs the SQL as written with the
larger `export_row_limit`: the guard checks it again for the current actor (policy, row
filters) and clamps its LIMIT to the cap, the runner applies its usual read-only layers
and time limit, and the CSV text is produced in chunks of rows (`iter_csv`), so the file
is written piece by piece rather than as one giant string formatting pass.

Cells are written as pandas writes them (ISO dates, `.` decimals, empty for NULL); a text
cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, ...) gets a leading
`'`. The file is UTF-8 with a byte-order mark so that Excel shows accents and `€` right.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pandas as pd

from backend.domain import Actor, Answer
from backend.errors import KeskinubeError
from backend.i18n.message import Message
from backend.pipeline import Engine

CHUNK_ROWS = 5_000
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFailed(KeskinubeError):
    """The export could not run; the message is the guard's or the database's (in the
    reader's language where the engine gave a catalogue message)."""


def run_export(engine: Engine, sql: str, actor: Actor, *, limit: int) -> Answer:
    """Re-run `sql` for `actor` through the guard with `limit` as the row cap."""
    # A copy of the engine with a larger cap: the very same guard and runner path.
    capped = Engine(
        model=engine.model,
        runner=engine.runner,
        index=engine.index,
        config=replace(engine.config, row_limit=limit),
    )
    return capped.run_sql(sql, actor)


def iter_csv(
    frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS, bom: bool = True
) -> Iterator[str]:
    """The CSV text of `frame`: the header line first, then `chunk_rows` rows at a time."""
    safe = _defused(frame)
    header = io.StringIO()
    safe.iloc[:0].to_csv(header, index=False)
    yield (BOM if bom else "") + header.getvalue()
    for start in range(0, len(safe), chunk_rows):
        chunk = io.StringIO()
        safe.iloc[start : start + chunk_rows].to_csv(chunk, index=False, header=False)
        yield chunk.getvalue()


def export_csv(engine: Engine, sql: str, actor: Actor, *, limit: int) -> tuple[bytes, Answer]:
    """The CSV file for a download button, and the run behind it (for the audit log).

    Raises `ExportFailed` with the guard's or the database's message.
    """
    answer = run_export(engine, sql, actor, limit=limit)
    if answer.error is not None or answer.result is None:
        raise ExportFailed(
            answer.error_message or answer.error or Message.of("engine.export.no_result")
        )
    data = "".join(iter_csv(answer.result.frame)).encode("utf-8")
    return data, answer


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start like a formula get a leading apostrophe (CSV injection)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            text = column.map(lambda v: v if not isinstance(v, str) else _defuse(v))
            out[name] = text.astype(column.dtype) if column.dtype != object else text
    return out


def _defuse(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
