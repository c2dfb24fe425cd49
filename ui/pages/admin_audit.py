"""Admin: the audit log — logins, SQL runs and admin actions, filtered, paged, exported.

Rows come newest first from `auth.audit.AuditLog.query`; the CSV export streams every
matching row (oldest first) from `AuditLog.iter_csv`, built only when the button is
clicked. Times are UTC, as stored.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from auth import audit, roles
from auth.audit import AuditFilter
from ui.context import get_auth
from ui.navigation import require_page

PAGE_SIZE = 50
ANY = "(any)"

require_page(roles.PAGE_ADMIN_AUDIT)
audit_log = get_auth().audit

st.title("Audit log")
st.caption("Every login, logout, SQL run and admin action. Times are UTC.")

user_col, event_col, status_col, dates_col, text_col = st.columns([2, 2, 1.5, 2.5, 3])
username = user_col.text_input("User", placeholder="anyone")
event = event_col.selectbox("Event", [ANY, *audit.EVENTS])
status = status_col.selectbox("Status", [ANY, *audit.STATUSES])
today = datetime.now(UTC).date()
dates = dates_col.date_input("Dates", value=(today - timedelta(days=30), today), max_value=today)
text = text_col.text_input("Search", placeholder="question, SQL, detail…")

picked = [d for d in (dates if isinstance(dates, tuple) else (dates,)) if isinstance(d, date)]
filters = AuditFilter(
    username=username.strip() or None,
    event=None if event == ANY else event,
    status=None if status == ANY else status,
    since=datetime.combine(min(picked), time()) if picked else None,
    until=datetime.combine(max(picked), time()) + timedelta(days=1) if picked else None,
    text=text.strip() or None,
)

total = audit_log.query(filters, limit=1).total
pages = max(1, math.ceil(total / PAGE_SIZE))
page_col, info_col, export_col = st.columns([1, 4, 1.4], vertical_alignment="bottom")
number = int(page_col.number_input("Page", min_value=1, max_value=pages, value=1, step=1))
result = audit_log.query(filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
first = result.offset + 1 if result.entries else 0
info_col.caption(
    f"Rows {first:,}–{result.offset + len(result.entries):,} of {total:,}, newest first."
)
export_col.download_button(
    "Download CSV",
    data=lambda: "".join(audit_log.iter_csv(filters)),
    file_name=f"keskinube-audit-{today:%Y%m%d}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    disabled=total == 0,
)

if not result.entries:
    st.info("No audit rows match these filters.")
else:
    st.dataframe(
        [
            {
                "Time (UTC)": entry.at,
                "User": entry.username,
                "Event": entry.event,
                "Status": entry.status,
                "Question": entry.question,
                "SQL": entry.sql,
                "Rows": entry.row_count,
                "Seconds": entry.duration_s,
                "Detail": entry.detail,
            }
            for entry in result.entries
        ],
        hide_index=True,
        column_config={
            "Time (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "Seconds": st.column_config.NumberColumn(format="%.2f"),
        },
    )
