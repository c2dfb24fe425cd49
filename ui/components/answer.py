"""One stored turn of a conversation, drawn: question, sentence, chart, table, SQL, actions.

The answer is redrawn from what the conversation store kept (no SQL runs to show it).
Actions on it: switch the chart, edit and re-run the SQL (same guard), download the full
result as CSV (re-run up to the export cap, on click), thumbs up (propose as an example),
thumbs down with a comment (evict from the cache), pin the chart to a dashboard.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import streamlit as st

from auth.audit import AuditLog
from backend.charts import ChartSpec, choose_chart
from backend.config import Settings
from backend.conversations import ChatTurn
from backend.domain import Actor, QueryResult
from backend.errors import KeskinubeError
from backend.export import export_csv
from backend.pipeline import Engine
from backend.summary import summarise
from ui.components.charts import chart_switcher, render_chart, render_table
from ui.components.conversations import AppStores, keep, run_own_sql

log = logging.getLogger(__name__)

NEW_DASHBOARD = "New dashboard…"


@dataclass(frozen=True)
class AnswerContext:
    """What drawing and acting on answers needs, for one page run."""

    actor: Actor
    engine: Engine
    settings: Settings
    stores: AppStores
    audit: AuditLog
    conversation_id: int
    can_pin: bool


def render_turn(turn: ChatTurn, ctx: AnswerContext) -> None:
    """The user's message, then the assistant's answer with everything it offers."""
    with st.container(key=f"chat_turn_{turn.id}"):
        _render(turn, ctx)


def _render(turn: ChatTurn, ctx: AnswerContext) -> None:
    with st.chat_message("user"):
        if turn.kind == "sql":
            st.caption(f"SQL for: {turn.question}" if turn.question else "Your SQL")
            st.code(turn.written_sql or "", language="sql", wrap_lines=True)
        else:
            st.text(turn.question)
    with st.chat_message("assistant"):
        answer = turn.answer
        spec: ChartSpec | None = None
        if answer.error is not None:
            st.warning(answer.error, icon=":material/lightbulb:")
        elif answer.result is not None:
            spec = _result(turn, answer.result, ctx)
        if turn.written_sql:
            _sql_editor(turn, ctx)
        if answer.ok and spec is not None:
            _actions(turn, spec, ctx)


def _result(turn: ChatTurn, result: QueryResult, ctx: AnswerContext) -> ChartSpec:
    """Sentence, chart (with its switcher) and table; returns the chart shown."""
    frame, currency = result.frame, ctx.settings.currency_symbol
    sentence = st.empty()
    spec = turn.chart or choose_chart(frame)
    picked = chart_switcher(frame, spec, key=f"turn_{turn.id}")
    summary = turn.summary
    if picked.axes != spec.axes:
        summary = summarise(frame, picked, turn.question, currency=currency)
        try:
            ctx.stores.conversations.set_chart(ctx.actor.username, turn.id, picked, summary)
        except KeskinubeError as exc:
            log.info("chart choice not kept: %s", exc)
    sentence.markdown(summary or summarise(frame, picked, turn.question, currency=currency))
    render_chart(frame, picked, key=f"turn_{turn.id}_chart", currency=currency)
    if result.truncated:
        st.caption(
            f"Showing the first {len(frame):,} rows — the query returned more. The CSV "
            f"download holds up to {ctx.settings.export_row_limit:,} rows."
        )
    if not frame.empty:
        render_table(frame, key=f"turn_{turn.id}_table", currency=currency)
    timing = sum(turn.answer.timings.values())
    cached = " · reused an earlier answer's SQL" if turn.answer.cached else ""
    st.caption(f"{len(frame):,} rows · {timing:.1f} s{cached}")
    return picked


def _sql_editor(turn: ChatTurn, ctx: AnswerContext) -> None:
    failed = turn.answer.error is not None
    with st.expander("SQL", icon=":material/code:", expanded=failed):
        edited = st.text_area(
            "SQL", value=turn.written_sql or "", key=f"turn_{turn.id}_sql", height=160,
            label_visibility="collapsed",
        )  # fmt: skip
        ran = turn.answer.sql
        if ran and not failed and _squash(ran) != _squash(turn.written_sql or ""):
            st.caption("What ran, after the access rules and the row cap were applied:")
            st.code(ran, language="sql", wrap_lines=True)
        if st.button("Run edited SQL", key=f"turn_{turn.id}_rerun", icon=":material/play_arrow:"):
            answer = run_own_sql(edited, engine=ctx.engine, actor=ctx.actor)
            keep(
                replace(answer, question=turn.question), store=ctx.stores.conversations,
                audit=ctx.audit, settings=ctx.settings, username=ctx.actor.username,
                conversation_id=ctx.conversation_id, kind="sql", written=edited,
            )  # fmt: skip
            st.rerun()


def _actions(turn: ChatTurn, spec: ChartSpec, ctx: AnswerContext) -> None:
    sql = turn.written_sql or ""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.download_button(
            "Download CSV", data=_csv_maker(turn, ctx), file_name=_file_name(turn),
            mime="text/csv", on_click="ignore", icon=":material/download:",
            key=f"turn_{turn.id}_csv",
        )  # fmt: skip
        if turn.question and st.button(
            "", icon=":material/thumb_up:", key=f"turn_{turn.id}_up", help="Good answer"
        ):
            ctx.stores.feedback.thumbs_up(ctx.actor.username, turn.question, sql)
            st.toast("Thanks! The question and its SQL were proposed as an example.")
        if turn.question:
            _thumbs_down(turn, sql, ctx)
        if ctx.can_pin:
            _pin(turn, spec, sql, ctx)


def _thumbs_down(turn: ChatTurn, sql: str, ctx: AnswerContext) -> None:
    with st.popover("", icon=":material/thumb_down:", help="Wrong answer"):
        comment = st.text_input("What was wrong? (optional)", key=f"turn_{turn.id}_comment")
        if st.button("Send", key=f"turn_{turn.id}_down"):
            ctx.stores.feedback.thumbs_down(
                ctx.actor, turn.question, sql, comment, forget=ctx.engine.forget
            )
            st.toast("Thanks. This answer won't be reused for the same question.")


def _pin(turn: ChatTurn, spec: ChartSpec, sql: str, ctx: AnswerContext) -> None:
    owner = ctx.actor.username
    with st.popover("Pin to dashboard", icon=":material/push_pin:"):
        names = [d.name for d in ctx.stores.dashboards.list_for(owner)]
        choice = st.selectbox("Dashboard", [*names, NEW_DASHBOARD], key=f"turn_{turn.id}_board")
        name = choice
        if choice == NEW_DASHBOARD:
            name = st.text_input("Name", value="My dashboard", key=f"turn_{turn.id}_new_board")
        if st.button("Pin", type="primary", key=f"turn_{turn.id}_pin"):
            try:
                board = ctx.stores.dashboards.get_or_create(owner, name)
                ctx.stores.dashboards.pin(
                    owner, board.id, question=turn.question, sql=sql, chart=spec
                )
            except KeskinubeError as exc:
                st.warning(str(exc))
            else:
                st.toast(f"Pinned to “{board.name}”. Open it from Dashboards.")


def _csv_maker(turn: ChatTurn, ctx: AnswerContext) -> Callable[[], bytes]:
    """What the download button calls on click: re-run up to the export cap, audited."""
    engine, actor, audit = ctx.engine, ctx.actor, ctx.audit
    sql, limit, question = turn.written_sql or "", ctx.settings.export_row_limit, turn.question

    def make() -> bytes:
        try:
            data, run = export_csv(engine, sql, actor, limit=limit)
        except KeskinubeError as exc:
            log.info("export refused for %s: %s", actor.username, exc)
            return f"error\n{exc}\n".encode()
        audit.record_answer(actor.username, replace(run, question=f"CSV export: {question}"))
        return data

    return make


def _file_name(turn: ChatTurn) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", turn.question.lower()).strip("-")[:50]
    return f"keskinube-{slug or 'result'}.csv"


def _squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").lower()
