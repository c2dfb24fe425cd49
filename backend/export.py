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

Bytes are bounded too (`max_bytes`, the EXPORT_MAX_BYTES setting): Streamlit 1.67 cannot
stream a download to the browser. `st.download_button(data=callable)` defers the work
to the click, but the callable's result (bytes, or a file object it reads whole) is put
in Streamlit's in-memory media store and served from there. So an export stops after
the last whole row that fits, and a last line says it was cut and why.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO

import pandas as pd

from backend.charts.formatting import format_count
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
    engine: Engine,
    sql: str,
    actor: Actor,
    *,
    limit: int,
    chunk_rows: int = CHUNK_ROWS,
    max_bytes: int | None = None,
    language: str = "en",
) -> tuple[bytes, Answer]:
    """The CSV file for a download button, and the run behind it (for the audit log).

    The bytes are read back from a temporary file once it is complete: Streamlit keeps
    whatever a download button's callable returns (bytes, or a file object it reads whole)
    in its in-memory media store anyway, so a file object would not save that copy — what
    streaming saves is the whole result as a DataFrame plus the whole CSV as a str and
    again as bytes. See `export_csv_to` for the caps and errors.
    """
    with SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as out:
        answer = export_csv_to(
            engine,
            sql,
            actor,
            out,
            limit=limit,
            chunk_rows=chunk_rows,
            max_bytes=max_bytes,
            language=language,
        )
        out.seek(0)
        return out.read(), answer


def export_csv_to(
    engine: Engine,
    sql: str,
    actor: Actor,
    out: IO[bytes],
    *,
    limit: int,
    chunk_rows: int = CHUNK_ROWS,
    max_bytes: int | None = None,
    language: str = "en",
) -> Answer:
    """Write the CSV of `sql` into `out` as the rows stream in; returns the run behind it.

    At most `limit` rows and about `max_bytes` bytes (see `write_csv`). Raises
    `ExportFailed` with the guard's or the database's message.
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
        chunks = engine.runner.stream(checked.sql, row_limit=limit, chunk_rows=chunk_rows)
        columns, rows, truncated = write_csv(chunks, out, max_bytes=max_bytes, language=language)
    except KeskinubeError as exc:
        raise ExportFailed(exc.message or str(exc)) from exc
    timings["execute"] = time.perf_counter() - started
    result = ExportedResult(columns, truncated, timings["execute"], rows=rows)
    return Answer(question="", sql=checked.sql, result=result, timings=timings)


def write_csv(
    chunks: Generator[pd.DataFrame, None, bool],
    out: IO[bytes],
    *,
    bom: bool = True,
    max_bytes: int | None = None,
    language: str = "en",
) -> tuple[pd.DataFrame, int, bool]:
    """Write the frames of a runner's `stream` to `out` as UTF-8 CSV, one chunk at a time.

    With `max_bytes`, the rows stop at the last whole row that keeps the file within it
    (header included) and a last line, in `language`, says the export was cut (a few
    hundred bytes more). Returns the columns (an empty frame), the number of rows written,
    and whether the result was cut (by the stream's row cap or by bytes). The stream is
    closed in every case, early when the bytes ran out.
    """
    columns: pd.DataFrame | None = None
    rows = written = 0
    with closing(chunks):
        while True:
            try:
                frame = next(chunks)
            except StopIteration as end:
                truncated = bool(end.value)
                break
            if columns is None:
                columns = frame.iloc[:0]
                head = ((BOM if bom else "") + header_line(frame.columns)).encode("utf-8")
                written += out.write(head)
            if frame.empty:
                continue
            data = _csv_bytes(defuse(frame))
            budget = None if max_bytes is None else max(0, max_bytes - written)
            if budget is not None and len(data) > budget:
                kept, data = _rows_within(frame, budget)
                out.write(data)
                rows += kept
                out.write(cut_line(max_bytes or 0, rows, language))
                truncated = True
                break
            written += out.write(data)
            rows += len(frame)
    if columns is None:
        raise ExportFailed(Message.of("engine.export.no_result"))
    return columns, rows, truncated


FILE_NAME_WORDS_MAX = 50  # characters of the question kept in a download's file name


def export_file_name(question: str) -> str:
    """'keskinube-revenue-by-region-last-quarter.csv': the question's words, ASCII, cut
    after a whole word (never mid-word) once the name would pass FILE_NAME_WORDS_MAX."""
    # Accents dropped ('cuántos' → 'cuantos') and apostrophes joined ("haven't" →
    # 'havent'), so no word is split by a character that is not ASCII.
    plain = unicodedata.normalize("NFKD", question.lower()).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", plain))
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > FILE_NAME_WORDS_MAX:
            break
        kept.append(word)
    if not kept and words:  # one very long word: cut it, it is all there is
        kept = [words[0][:FILE_NAME_WORDS_MAX]]
    return f"keskinube-{'-'.join(kept) or 'result'}.csv"


def cut_line(max_bytes: int, rows: int, language: str, *, end: str = "\n") -> bytes:
    """The CSV's last line when EXPORT_MAX_BYTES cut it: one quoted cell that says so."""
    count = format_count(rows, language)
    note = Message.of("engine.export.cut_bytes", size=megabytes(max_bytes), rows=count)
    line = pd.DataFrame({"note": [neutralise(note.render(language))]})
    return line.to_csv(index=False, header=False, quoting=QUOTING, lineterminator=end).encode()


def megabytes(size: int) -> str:
    """'50 MB', '0.5 MB' (decimal megabytes, as file managers show them)."""
    return f"{size / 1_000_000:.3g} MB"


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, header=False, quoting=QUOTING).encode("utf-8")


def _rows_within(frame: pd.DataFrame, budget: int) -> tuple[int, bytes]:
    """The most leading rows of `frame` (already defused) whose CSV fits `budget` bytes."""
    low, high, best = 0, len(frame) - 1, b""
    while low <= high:  # bisect on the row count: a dozen writes for 5,000 rows
        middle = (low + high + 1) // 2
        data = _csv_bytes(frame.iloc[:middle]) if middle else b""
        if len(data) <= budget:
            low, best = middle + 1, data
        else:
            high = middle - 1
    return high, best


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


def bounded_csv(lines: Iterable[str], *, max_bytes: int, language: str = "en") -> bytes:
    """A CSV given as lines (the audit log's `iter_csv`: the header with the first row, then
    one row a line) as UTF-8, cut after the last whole line within `max_bytes`, with the
    same last line as `write_csv` when it was cut."""
    parts: list[bytes] = []
    size = 0
    for rows, line in enumerate(lines):
        data = line.encode("utf-8")
        if size + len(data) > max_bytes:
            parts.append(cut_line(max_bytes, rows, language, end="\r\n"))  # as csv.writer
            break
        parts.append(data)
        size += len(data)
    return b"".join(parts)


def error_csv(message: str) -> bytes:
    """What a download holds when the export could not run: an `error` column with the
    message (which can quote the SQL or values), neutralised like any text cell."""
    frame = pd.DataFrame({"error": [neutralise(message)]})
    return frame.to_csv(index=False, quoting=QUOTING).encode("utf-8")
