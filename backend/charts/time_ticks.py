"""Date-axis ticks written in the reader's language: 'ene 2024', '3 mar', '2025'.

Plotly writes its own date ticks in English only: month names in other languages need a
locale bundle loaded into the page's plotly.js (`config={'locale': 'es'}`), which neither
plotly.py's bundle nor Streamlit's `st.plotly_chart` ships. So for other languages the
figure carries explicit `tickvals`/`ticktext`, made here with Babel. The ticks are fixed:
zooming keeps them rather than adding finer ones, which a static answer chart can afford.
"""

from __future__ import annotations

import pandas as pd

from backend.i18n.formats import format_date_pattern

MAX_TICKS = 8
_DAY = 86_400
# (pandas frequency, its length in seconds, roughly, CLDR pattern of its labels), finest first.
_STEPS: tuple[tuple[str, float, str], ...] = (
    ("min", 60, "HH:mm"),
    ("5min", 300, "HH:mm"),
    ("15min", 900, "HH:mm"),
    ("30min", 1800, "HH:mm"),
    ("h", 3600, "d MMM HH:mm"),
    ("3h", 3 * 3600, "d MMM HH:mm"),
    ("6h", 6 * 3600, "d MMM HH:mm"),
    ("12h", 12 * 3600, "d MMM HH:mm"),
    ("D", _DAY, "d MMM"),
    ("2D", 2 * _DAY, "d MMM"),
    ("W-MON", 7 * _DAY, "d MMM"),
    ("2W-MON", 14 * _DAY, "d MMM"),
    ("MS", 30 * _DAY, "LLL y"),
    ("2MS", 61 * _DAY, "LLL y"),
    ("QS", 91 * _DAY, "LLL y"),
    ("6MS", 182 * _DAY, "LLL y"),
    ("YS", 365 * _DAY, "y"),
    ("2YS", 730 * _DAY, "y"),
    ("5YS", 1826 * _DAY, "y"),
    ("10YS", 3652 * _DAY, "y"),
    ("50YS", 18262 * _DAY, "y"),
)


def date_ticks(values: pd.Series, locale: str | None) -> dict[str, object]:
    """`tickvals`/`ticktext` for a date axis showing `values`; {} when there is nothing."""
    stamps = pd.Series(pd.to_datetime(values.dropna()))
    if stamps.empty:
        return {}
    start, end = stamps.min(), stamps.max()
    if start == end:
        return {"tickvals": [start], "ticktext": [_label(start, "d MMM y", locale)]}
    freq, pattern, ticks = _pick_step(start, end, _finest_step(stamps))
    if freq.endswith("min") and start.normalize() != end.normalize():
        pattern = "d MMM HH:mm"
    if pattern == "d MMM" and start.year != end.year:
        pattern = "d MMM y"
    if len(ticks) < 2:  # a short span inside one step: label the data's own points
        ticks = pd.DatetimeIndex(sorted(set(stamps)))[:MAX_TICKS]
    return {
        "tickmode": "array",
        "tickvals": list(ticks),
        "ticktext": [_label(tick, pattern, locale) for tick in ticks],
    }


def _pick_step(
    start: pd.Timestamp, end: pd.Timestamp, finest: int
) -> tuple[str, str, pd.DatetimeIndex]:
    """The finest step from `finest` on that gives at most `MAX_TICKS` ticks."""
    span = (end - start).total_seconds()
    candidates = [step for step in _STEPS[finest:] if span / step[1] <= MAX_TICKS + 1]
    for freq, _, pattern in candidates or [_STEPS[-1]]:
        ticks = pd.date_range(start.ceil("min"), end, freq=freq)
        if len(ticks) <= MAX_TICKS:
            return freq, pattern, ticks
    freq, _, pattern = _STEPS[-1]  # centuries of data: thin the coarsest ticks out
    ticks = pd.date_range(start.ceil("min"), end, freq=freq)
    return freq, pattern, ticks[:: -(-len(ticks) // MAX_TICKS)]


def _finest_step(stamps: pd.Series) -> int:
    """Ticks no finer than the data: days for dates, months for months, years for years."""
    if not (stamps.dt.normalize() == stamps).all():
        return 0
    if not (stamps.dt.day == 1).all():
        return _index("D")
    if not (stamps.dt.month == 1).all():
        return _index("MS")
    return _index("YS")


def _index(freq: str) -> int:
    return next(i for i, step in enumerate(_STEPS) if step[0] == freq)


def _label(stamp: pd.Timestamp, pattern: str, locale: str | None) -> str:
    return format_date_pattern(stamp.to_pydatetime(), pattern, locale)
