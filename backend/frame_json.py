"""Result frames as JSON: what a chat turn stores so it can redraw its table later.

`encode_frame` keeps the column names, dtypes and rows of plain values; `decode_frame`
restores the dtypes, so a reopened answer sorts, formats and charts as it did when new.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import pandas as pd


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """A JSON-safe form of a result frame: column names, dtypes and rows of plain values.

    Datetimes become ISO strings, NaN/NA/NaT become null; `decode_frame` restores each
    column's dtype (int64, Int64, float64, bool, string, str, datetime64 with its unit and
    zone) and `datetime.date` values in object columns.
    """
    columns = [str(name) for name in frame.columns]
    dtypes = [str(dtype) for dtype in frame.dtypes]
    values = [[_json_value(v) for v in frame.iloc[:, i].tolist()] for i in range(len(columns))]
    tags = [_object_tag(frame.iloc[:, i]) for i in range(len(columns))]
    rows = [list(row) for row in zip(*values, strict=True)] if columns else []
    return {"columns": columns, "dtypes": dtypes, "tags": tags, "rows": rows}


def decode_frame(data: dict[str, Any]) -> pd.DataFrame:
    """The frame `encode_frame` stored, with its dtypes."""
    columns: list[str] = list(data["columns"])
    rows: list[list[Any]] = data["rows"]
    series = {}
    for i, name in enumerate(columns):
        values = [row[i] for row in rows]
        series[name] = _typed(
            values, data["dtypes"][i], (data.get("tags") or [None] * len(columns))[i]
        )
    frame = pd.DataFrame(series, columns=columns)
    return frame if columns else pd.DataFrame(index=range(len(rows)))


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _json_value(item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _object_tag(series: pd.Series) -> str | None:
    """For object columns: 'date' when every value is a `datetime.date`."""
    if series.dtype != object:
        return None
    values = series.dropna()
    dates = len(values) > 0 and all(
        isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values
    )
    return "date" if dates else None


def _typed(values: list[Any], dtype: str, tag: str | None) -> pd.Series:
    if dtype.startswith("datetime64"):
        parsed = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601", utc="," in dtype)
        try:
            # pandas_dtype parses the stored name as astype would; pandas-stubs types
            # astype(str) only for literal dtype names.
            return parsed.astype(pd.api.types.pandas_dtype(dtype))
        except (TypeError, ValueError):
            return parsed
    if tag == "date":
        return pd.Series(
            [None if v is None else dt.date.fromisoformat(v) for v in values], dtype=object
        )
    plain = pd.Series(values, dtype=object)
    try:
        return plain.astype(pd.api.types.pandas_dtype(dtype))
    except (TypeError, ValueError):
        return plain
