"""Admin: the audit log — logins, SQL runs and admin actions, filtered, paged, exported.

Rows come newest first from `auth.audit.AuditLog.query`; the CSV export streams every
matching row (oldest first) from `AuditLog.iter_csv`, built only when the button is
clicked, up to EXPORT_MAX_BYTES (Streamlit serves downloads from memory). Times are UTC,
as stored. Events, statuses and details are shown in the reader's language (details
recorded before they were catalogue messages stay as written); the text search and the
CSV export read the English record.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from auth import audit, roles
from auth.audit import AuditFilter
from backend.answer_service import SOURCES
from backend.config import get_settings
from backend.export import bounded_csv, megabytes
from ui.components.formats import NA
from ui.context import get_auth, translator
from ui.navigation import require_page

PAGE_SIZE = 50
ANY = "any"

require_page(roles.PAGE_ADMIN_AUDIT)
audit_log = get_auth().audit
tr = translator()


def event_label(event: str) -> str:
    return tr(f"admin.audit.event.{event}") if event in audit.EVENTS else event


def status_label(status: str) -> str:
    return tr(f"admin.audit.status.{status}") if status in audit.STATUSES else status


def source_label(source: str | None) -> str | None:
    if source is None:
        return None
    return tr(f"admin.audit.source.{source}") if source in SOURCES else source


def number(value: int) -> str:
    """Thousands grouped the reader's way: 12,345 or 12.345."""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if tr.language == "es" else grouped


st.title(tr("app.nav.admin_audit"))
st.caption(tr("admin.audit.caption"))

user_col, event_col, status_col, source_col, dates_col, text_col = st.columns(
    [2, 2, 1.5, 1.5, 2.5, 3]
)
username = user_col.text_input(
    tr("admin.audit.column.user"), placeholder=tr("admin.audit.user.placeholder")
)
event = event_col.selectbox(
    tr("admin.audit.column.event"),
    [ANY, *audit.EVENTS],
    format_func=lambda e: tr("admin.audit.any") if e == ANY else event_label(e),
)
status = status_col.selectbox(
    tr("admin.audit.column.status"),
    [ANY, *audit.STATUSES],
    format_func=lambda s: tr("admin.audit.any") if s == ANY else status_label(s),
)
sources: list[str] = [ANY, *SOURCES]
source = source_col.selectbox(
    tr("admin.audit.column.source"),
    sources,
    format_func=lambda s: tr("admin.audit.any") if s == ANY else tr(f"admin.audit.source.{s}"),
)
today = datetime.now(UTC).date()
dates = dates_col.date_input(
    tr("admin.audit.dates"), value=(today - timedelta(days=30), today), max_value=today
)
text = text_col.text_input(
    tr("admin.audit.search"), placeholder=tr("admin.audit.search.placeholder")
)

picked = [d for d in (dates if isinstance(dates, tuple) else (dates,)) if isinstance(d, date)]
filters = AuditFilter(
    username=username.strip() or None,
    event=None if event == ANY else event,
    status=None if status == ANY else status,
    source=None if source == ANY else source,
    since=datetime.combine(min(picked), time()) if picked else None,
    until=datetime.combine(max(picked), time()) + timedelta(days=1) if picked else None,
    text=text.strip() or None,
)

total = audit_log.query(filters, limit=1).total
pages = max(1, math.ceil(total / PAGE_SIZE))
page_col, info_col, export_col = st.columns([1, 4, 1.4], vertical_alignment="bottom")
page_number = int(
    page_col.number_input(tr("admin.audit.page"), min_value=1, max_value=pages, value=1, step=1)
)
result = audit_log.query(filters, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
first = result.offset + 1 if result.entries else 0
info_col.caption(
    tr(
        "admin.audit.rows",
        first=number(first),
        last=number(result.offset + len(result.entries)),
        total=number(total),
    )
)
max_bytes = get_settings().export_max_bytes
export_col.download_button(
    tr("admin.audit.download"),
    # Built on the click; Streamlit holds the file in memory, hence EXPORT_MAX_BYTES.
    data=lambda: bounded_csv(
        audit_log.iter_csv(filters), max_bytes=max_bytes, language=tr.language
    ),
    help=tr("admin.audit.download.help", size=megabytes(max_bytes)),
    file_name=f"keskinube-audit-{today:%Y%m%d}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    disabled=total == 0,
)

if not result.entries:
    st.info(tr("admin.audit.empty"))
else:
    columns = (
        "at",
        "user",
        "event",
        "status",
        "source",
        "data_source",
        "question",
        "sql",
        "rows",
        "seconds",
        "detail",
    )
    headers = {name: tr(f"admin.audit.column.{name}") for name in columns}
    st.dataframe(
        [
            {
                headers["at"]: entry.at,
                headers["user"]: entry.username,
                headers["event"]: event_label(entry.event),
                headers["status"]: status_label(entry.status),
                headers["source"]: source_label(entry.source),
                headers["data_source"]: entry.data_source,
                headers["question"]: entry.question,
                headers["sql"]: entry.sql,
                headers["rows"]: entry.row_count,
                headers["seconds"]: entry.duration_s,
                headers["detail"]: entry.detail_in(tr.language),
            }
            for entry in result.entries
        ],
        hide_index=True,
        placeholder=NA,
        column_config={
            headers["at"]: st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm:ss"  # i18n: not prose
            ),
            headers["seconds"]: st.column_config.NumberColumn(format="%.2f"),
        },
    )
