"""Admin: monitoring — how questions were answered, day by day, per model and prompt version.

Everything comes from the questions' run records (`backend.monitoring`): the figures are
read by `RunStore.figures` for the chosen days (UTC) and, if picked, one model or prompt
version; the charts are built in `backend.monitoring.charts`. Questions and model names
are data: they are shown in tables and escaped in charts, never drawn as markdown. The
download holds every figure and table shown, in one CSV.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from auth import roles
from backend.answer_service import SOURCES
from backend.charts.plotly_locale import plotly_config
from backend.config import get_settings
from backend.monitoring import charts
from backend.monitoring.figures import Figures, RunFilter
from backend.monitoring.outcome import OUTCOMES
from backend.monitoring.store import RunStore
from ui.components.formats import NA
from ui.components.schema_drift import schema_drift_section
from ui.context import get_auth, translator
from ui.navigation import require_page

admin = require_page(roles.PAGE_ADMIN_MONITORING)
store = RunStore(get_auth().engine)
tr = translator()
language = tr.language
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")  # i18n: not prose
SECONDS = st.column_config.NumberColumn(format="%.2f")  # i18n: not prose


def label(prefix: str, value: object, known: tuple[str, ...]) -> object:
    """A stored word (outcome, source) in the reader's language; an unknown one as it is."""
    return tr(f"{prefix}.{value}") if value in known else value


def table(columns: dict[str, object], **config: Any) -> None:
    """`columns` (name → the values shown) under headers from the catalogue; `config`:
    the Streamlit column config of some of them."""
    headers = {name: tr(f"monitoring.column.{name}") for name in columns}
    shown = pd.DataFrame({headers[name]: values for name, values in columns.items()})
    column_config = {headers[name]: kind for name, kind in config.items()}
    st.dataframe(
        shown, hide_index=True, width="stretch", placeholder=NA, column_config=column_config
    )


def draw(figures: Figures) -> None:
    config = plotly_config(language)
    left, right = st.columns(2)
    left.plotly_chart(charts.questions_chart(figures, language), config=config, key="questions")
    right.plotly_chart(charts.outcomes_chart(figures, language), config=config, key="outcomes")
    left, right = st.columns(2)
    left.plotly_chart(charts.votes_chart(figures, language), config=config, key="votes")
    right.plotly_chart(charts.waits_chart(figures, language), config=config, key="waits")
    st.plotly_chart(charts.stages_chart(figures, language), config=config, key="stages")
    left, right = st.columns(2)
    left.plotly_chart(charts.far_chart(figures, language), config=config, key="far")
    with right:
        st.caption(tr("monitoring.far.help", threshold=f"{far_below:.2f}"))
        farthest = figures.farthest
        table(
            {
                "at": farthest["at"],
                "question": farthest["question"],
                "similarity": farthest["similarity"],
            },
            at=WHEN,
            similarity=st.column_config.NumberColumn(format="%.2f"),  # i18n: not prose
        )

    st.subheader(tr("monitoring.table.slowest"))
    slowest = figures.slowest
    table(
        {
            "at": slowest["at"],
            "question": slowest["question"],
            "source": [label("admin.audit.source", s, SOURCES) for s in slowest["source"]],
            "outcome": [label("monitoring.outcome", o, OUTCOMES) for o in slowest["outcome"]],
            "version": charts.versions_of(slowest),
            "seconds": slowest["seconds"],
        },
        at=WHEN,
        seconds=SECONDS,
    )
    st.subheader(tr("monitoring.table.failing"))
    failing = figures.failing
    table(
        {
            "question": failing["question"],
            "asked": failing["asked"],
            "failed": failing["failed"],
            "failed_share": failing["failed_share"] * 100,
            "last_at": failing["last_at"],
        },
        failed_share=st.column_config.NumberColumn(format="%.0f%%"),  # i18n: not prose
        last_at=WHEN,
    )
    st.subheader(tr("monitoring.table.versions"))
    seen = figures.versions
    table(
        {
            "model": seen["model"],
            "digest": seen["model_digest"],
            "prompt": seen["prompt_hash"],
            "knowledge": seen["knowledge_version"],
            "first_at": seen["first_at"],
            "last_seen": seen["last_at"],
            "questions": seen["questions"],
        },
        first_at=WHEN,
        last_seen=WHEN,
    )


st.title(tr("monitoring.nav"))
st.caption(tr("monitoring.caption"))

today = datetime.now(UTC).date()
dates_col, model_col, prompt_col = st.columns([2.5, 2, 2])
dates = dates_col.date_input(
    tr("monitoring.dates"), value=(today - timedelta(days=30), today), max_value=today
)
picked = [d for d in (dates if isinstance(dates, tuple) else (dates,)) if isinstance(d, date)]
since = datetime.combine(min(picked), time()) if picked else None
until = datetime.combine(max(picked), time()) + timedelta(days=1) if picked else None
pairs = store.versions(RunFilter(since=since, until=until))
model = model_col.selectbox(
    tr("monitoring.model"),
    [None, *sorted({m for m, _ in pairs})],
    format_func=lambda m: tr("monitoring.any") if m is None else m,
)
prompt = prompt_col.selectbox(
    tr("monitoring.prompt"),
    [None, *dict.fromkeys(p for m, p in pairs if model is None or m == model)],
    format_func=lambda p: tr("monitoring.any") if p is None else p,
)
far_below = get_settings().question_drift_similarity
chosen = RunFilter(since=since, until=until, model=model, prompt_hash=prompt)
figures = store.figures(chosen, far_below=far_below)

if figures.empty:
    st.info(tr("monitoring.empty"))
else:
    st.download_button(
        tr("monitoring.download"),
        data=figures.to_csv().encode("utf-8"),
        help=tr("monitoring.download.help"),
        file_name=f"keskinube-monitoring-{today:%Y%m%d}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    draw(figures)

schema_drift_section(tr, admin.username)
