"""An `Answer` as plain JSON-ready data: what `keskinube ask --json` prints and what the
HTTP API's answers are built on, so the two doors describe an answer the same way.

Cells stay Python values (`Decimal`, `datetime`, `bytes` ...): each door chooses how to
write them (`json_cell` is the HTTP API's choice).
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd

from backend.domain import Answer

CLI_ROWS = 50  # rows `ask --json` prints: enough to read, short enough for a terminal


def answer_to_json(
    answer: Answer, *, explanation: str | None = None, max_rows: int | None = CLI_ROWS
) -> dict[str, Any]:
    """A JSON-ready view of an Answer; `max_rows` caps the rows (None: every row)."""
    frame = answer.result.frame if answer.result is not None else None
    return {
        "question": answer.question,
        "ok": answer.ok,
        "error": answer.error,
        "sql": answer.sql,
        "explanation": explanation,
        "cached": answer.cached,
        "columns": [str(column) for column in frame.columns] if frame is not None else [],
        "rows": frame_rows(frame, max_rows) if frame is not None else [],
        "row_count": answer.result.row_count if answer.result else 0,
        "truncated": answer.result.truncated if answer.result else False,
        "retrieval": None
        if answer.retrieval is None
        else {
            "mode": answer.retrieval.mode,
            "tables": [t.name for t in answer.retrieval.tables],
            "added_for_joins": list(answer.retrieval.added_for_joins),
            "warning": answer.retrieval.warning,
        },
        "attempts": [
            {"sql": a.sql, "error": a.error, "stage": a.stage, "candidate": a.candidate}
            for a in answer.attempts
        ],
        # (queries returning the shown result, queries in the vote) when candidates were drawn.
        "agreement": None if answer.agreement is None else list(answer.agreement),
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
    }


def frame_rows(frame: pd.DataFrame, max_rows: int | None = None) -> list[list[Any]]:
    """The frame's rows as lists of Python values, missing values as None."""
    shown = frame if max_rows is None else frame.head(max_rows)
    rows: list[list[Any]] = shown.astype(object).where(shown.notna(), None).values.tolist()
    return rows


def json_cell(value: object) -> object:
    """A cell JSON cannot hold as it is, as JSON can: a `Decimal` a number (whole ones an
    integer), dates and times ISO 8601, bytes base64, anything else its text. For
    `json.dumps(default=json_cell)`, which writes str, int, float, bool and None itself."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "item"):  # a numpy scalar that slipped through
        return json_cell(value.item())
    return str(value)
