"""CSV export of a whole result, up to the export cap, through the same guard as the page.

The page shows at most `row_limit` rows; a download runs the SQL as written again with the
larger export cap. The guard checks it again for the current actor, exactly as
`Engine.run_sql` does (policy, denied columns, row filters) and clamps its LIMIT to the
cap + 1. The runner then streams the rows (`SqlRunner.stream`: a server-side cursor on
MySQL/MariaDB, a stepped statement on SQLite) inside the same read-only, time-limited
session as the page's queries, `CHUNK_ROWS` at a time, straight into a temporary file.
No more than one chunk of rows is held as a DataFrame at any moment; the temporary file
stays in memory while small and moves to disk beyond `SPOOL_BYTES`.

Cells are written as pandas writes them (ISO dates, `.` decimals, empty for NULL), typed
chunk by chunk as the page types a result. So a value's text can depend on its chunk
(never its value): `3.0` for an integer in a chunk where that column has a NULL, `199`
for a SQLite NUMERIC in a chunk where all of them are whole, a DATETIME date-only in a
chunk where all of them are at midnight. Every cell is quoted; a text cell, or a header,
that a spreadsheet could run as a formula is neutralised (`backend.csv_cells`: OWASP's
advice, leading blanks, full-width forms and `;`-separated pieces included); numeric
columns are written as numbers. The file is UTF-8 with a byte-order mark so that Excel
shows accents and `€` right.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO

import pandas as pd

from backend.csv_cells import QUOTING, RISKY, neutralise
from backend.domain import Actor, Answer, QueryResult
from backend.errors import KeskinubeError
from backend.i18n.message import Message
from backend.pipeline import Engine
from backend.sql_guard import check_sql

CHUNK_ROWS = 5_000
SPOOL_BYTES = 1 << 20  # a CSV above 1 MiB is spooled to a temporary file on disk
BOM = "\ufeff"


class ExportFailed(KeskinubeError):
    """The export could not run; the message is the guard's or the database's (a catalogue
    message, shown in the reader's language, where the runner gave one)."""


@dataclass(frozen=True)
class ExportedResult(QueryResult):
    """What the audit log needs of an export: how many rows and whether the cap cut it.

    The rows themselves went to the file: `frame` holds only the columns.
    """

    rows: int = 0

    @property
    def row_count(self) -> int:
        return self.rows


def export_csv(
    engine: Engine, sql: str, actor: Actor, *, limit: int, chunk_rows: int = CHUNK_ROWS
) -> tuple[bytes, Answer]:
    """The CSV file for a download button, and the run behind it (for the audit log).

    At most `limit` rows. Raises `ExportFailed` with the guard's or the database's message.
    The bytes are read back from the temporary file once it is complete: Streamlit copies
    whatever `download_button` gets (bytes or a file object) into its in-memory media
    store anyway, so a file object would not save that copy — what streaming saves is the
    whole result as a DataFrame plus the whole CSV as a str and again as bytes.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        # The very check `Engine.run_sql` makes (see `Engine._check_and_run`): keep in step.
        checked = check_sql(
            sql,
            schema=engine.schema().known,
            dialect=engine.runner.dialect,
            row_limit=limit + 1,
            policy=actor.policy,
            user_attributes=dict(actor.attributes),
        )
        timings["check"] = time.perf_counter() - started
        started = time.perf_counter()
        with SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as out:
            chunks = engine.runner.stream(checked.sql, row_limit=limit, chunk_rows=chunk_rows)
            columns, rows, truncated = write_csv(chunks, out)
            out.seek(0)
            data = out.read()
    except KeskinubeError as exc:
        raise ExportFailed(exc.message or str(exc)) from exc
    timings["execute"] = time.perf_counter() - started
    result = ExportedResult(columns, truncated, timings["execute"], rows=rows)
    return data, Answer(question="", sql=checked.sql, result=result, timings=timings)


def write_csv(
    chunks: Generator[pd.DataFrame, None, bool], out: IO[bytes], *, bom: bool = True
) -> tuple[pd.DataFrame, int, bool]:
    """Write the frames of a runner's `stream` to `out` as UTF-8 CSV, one chunk at a time.

    Returns the columns (an empty frame), the number of rows written, and the stream's
    return value (whether the cap cut the result). The stream is closed in every case.
    """
    columns: pd.DataFrame | None = None
    rows = 0
    with closing(chunks):
        while True:
            try:
                frame = next(chunks)
            except StopIteration as end:
                truncated = bool(end.value)
                break
            if columns is None:
                columns = frame.iloc[:0]
                out.write(((BOM if bom else "") + header_line(frame.columns)).encode("utf-8"))
            if not frame.empty:
                text = defuse(frame).to_csv(index=False, header=False, quoting=QUOTING)
                out.write(text.encode("utf-8"))
                rows += len(frame)
    if columns is None:
        raise ExportFailed(Message.of("engine.export.no_result"))
    return columns, rows, truncated


def header_line(names: Iterable[object]) -> str:
    """The CSV header line, with names that look like formulas defused like the cells."""
    defused = [neutralise(str(name)) for name in names]
    return pd.DataFrame(columns=defused).to_csv(index=False, quoting=QUOTING)


def defuse(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet could run as formulas, neutralised (`csv_cells.neutralise`).

    Only text: a numeric column keeps its numbers (-5 stays -5); in a mixed (object)
    column only the strings change. Changes `frame` in place (a chunk of the stream,
    owned by the export) and returns it.
    """
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            text = column.map(lambda v: v if isinstance(v, str) else None).astype("string")
            risky = text.str.contains(RISKY, na=False)
            if risky.any():
                changed = column[risky].map(neutralise)
                frame[name] = column.astype(object).where(~risky, changed)
    return frame
