"""One stored turn of a conversation, drawn: question, sentence, chart, table, SQL, actions.

The answer is redrawn from what the conversation store kept (no SQL runs to show it).
Actions on it: switch the chart, edit and re-run the SQL (same guard), download the full
result as CSV (re-run up to the export cap, on click), thumbs up (propose as an example),
thumbs down with a comment (evict from the cache), pin the chart to a dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile

import streamlit as st

from auth import roles
from backend.charts import ChartSpec, ColumnHints, choose_chart
from backend.charts.formatting import format_count
from backend.config import Settings
from backend.conversations import ChatTurn
from backend.domain import Actor, AppliedRule, QueryResult
from backend.errors import KeskinubeError
from backend.explain import explain_sql
from backend.export import SPOOL_BYTES, error_csv, export_file_name, megabytes
from backend.i18n import Translator, t
from backend.knowledge import Knowledge
from backend.people_errors import for_people
from backend.pipeline import Engine
from backend.result_view import result_hints
from backend.rule_notes import row_notice
from backend.sources import MAIN
from backend.sql_same import same_query
from backend.summary import summarise
from ui.components.audited import audit_warnings, show_later
from ui.components.charts import chart_switcher, render_chart, render_table
from ui.components.conversations import answers, run_own_sql
from ui.components.formats import format_number
from ui.components.markdown import escape_markdown, md_error, md_message, md_t
from wiring.stores import AppStores

log = logging.getLogger(__name__)

_PINNED_KEY = "answer_pinned"  # the toast of a pin, shown by the run the pin starts


@dataclass(frozen=True)
class AnswerContext:
    """What drawing and acting on answers needs, for one page run."""

    actor: Actor
    engine: Engine
    settings: Settings
    stores: AppStores
    conversation_id: int
    can_pin: bool
    tr: Translator  # the reader's language
    knowledge: Knowledge = field(default_factory=Knowledge)  # labels of columns
    source: str = MAIN  # the data source the answers came from (a pinned tile keeps it)

    @property
    def language(self) -> str:
        return self.tr.language


def render_turn(turn: ChatTurn, ctx: AnswerContext) -> None:
    """The user's message, then the assistant's answer with everything it offers."""
    with st.container(key=f"chat_turn_{turn.id}"):
        _render(turn, ctx)


def _render(turn: ChatTurn, ctx: AnswerContext) -> None:
    tr = ctx.tr
    with st.chat_message("user"):
        if turn.kind == "sql":
            mine = md_t(tr, "answer.sql_for", question=turn.question) if turn.question else None
            st.caption(mine or tr("answer.your_sql"))
            st.code(turn.written_sql or "", language="sql", wrap_lines=True)
        else:
            st.text(turn.question)
    with st.chat_message("assistant"):
        answer = turn.answer
        spec: ChartSpec | None = None
        if answer.error is not None:
            _error(turn, ctx)
        elif answer.result is not None:
            spec = _result(turn, answer.result, ctx)
        if turn.written_sql:
            _sql_editor(turn, ctx)
        if answer.ok and spec is not None:
            _actions(turn, spec, ctx)


def _error(turn: ChatTurn, ctx: AnswerContext) -> None:
    """What went wrong and one thing to do, for the asker; the engine's own words (hosts,
    the database's text, each try) folded away for admins only. A user's own SQL keeps
    the engine's message: it is about the SQL they wrote."""
    answer, tr, language = turn.answer, ctx.tr, ctx.language
    # A database's error can quote the SQL and the values it was about: escaped.
    technical = md_message(answer.error_message or answer.error, language) or ""
    if turn.kind == "sql":
        st.warning(technical, icon=":material/lightbulb:")
        return
    st.warning(md_message(for_people(answer.error_message), language), icon=":material/lightbulb:")
    if ctx.actor.role != roles.ADMIN:
        return
    with st.expander(tr("people.detail"), icon=":material/build:"):
        st.caption(technical)
        for number, attempt in enumerate(answer.attempts, start=1):
            if attempt.error is not None:
                problem = attempt.message or attempt.error
                st.caption(
                    md_t(tr, "people.detail.try", number=number, stage=attempt.stage, error=problem)
                )


def _result(turn: ChatTurn, result: QueryResult, ctx: AnswerContext) -> ChartSpec:
    """Sentence, chart (with its switcher) and table; returns the chart shown.

    The sentence is written anew from the stored rows on every run, in the reader's
    language, so an old answer reads right after a language switch.
    """
    frame, currency, tr, language = result.frame, ctx.settings.currency_symbol, ctx.tr, ctx.language
    hints = _hints(turn, [str(column) for column in frame.columns], ctx)
    sentence = st.empty()
    spec = turn.chart or choose_chart(frame)
    picked = chart_switcher(frame, spec, key=f"turn_{turn.id}", tr=tr, hints=hints)
    summary = summarise(
        frame,
        picked,
        turn.question,
        locale=language,
        currency=currency,
        truncated=result.truncated,
        hints=hints,
    )
    if picked.axes != spec.axes:
        try:
            ctx.stores.conversations.set_chart(ctx.actor.username, turn.id, picked, summary)
        except KeskinubeError as exc:
            log.info("chart choice not kept: %s", exc)
    sentence.markdown(escape_markdown(summary))  # plain text made of data values
    explained = explain_sql(turn.written_sql or "", ctx.engine.runner.dialect)
    if explained is not None:  # what was counted, from the SQL itself: catch a wrong answer
        st.caption(md_message(explained, language))
    _rules(turn.answer.rules, tr)
    _agreement(turn.answer.agreement, tr)
    key = f"turn_{turn.id}"
    render_chart(
        frame, picked, key=f"{key}_chart", currency=currency, language=language, hints=hints
    )
    shown = format_count(len(frame), language)
    if result.truncated:
        limit = format_count(ctx.settings.export_row_limit, language)
        st.caption(tr("answer.rows_capped", shown=shown, limit=limit))
    if not frame.empty:
        render_table(frame, key=f"{key}_table", currency=currency, language=language, hints=hints)
    seconds = _seconds(sum(turn.answer.timings.values()), language)
    if result.truncated:  # the true count is unknown: never state the cap as the count
        footer = tr("answer.footer.more", rows=shown, seconds=seconds)
    else:
        footer = tr.count("answer.footer", len(frame), rows=shown, seconds=seconds)
    st.caption(" · ".join([footer, tr("answer.cached")] if turn.answer.cached else [footer]))
    return picked


def _hints(turn: ChatTurn, columns: list[str], ctx: AnswerContext) -> ColumnHints:
    """What the SQL and the schema's knowledge say about the result's columns."""
    return result_hints(
        turn.written_sql or turn.answer.sql or "",
        columns,
        engine=ctx.engine,
        knowledge=ctx.knowledge,
        language=ctx.language,
        include_drafts=ctx.settings.knowledge_use_drafts,
    )


def _rules(rules: tuple[AppliedRule, ...], tr: Translator) -> None:
    """One line per access rule that shaped the result: a filtered count or a table with
    hidden columns must never pass for the whole company's. The row notice is escaped
    whole: it carries the admin's own words, or names and values from the database."""
    for rule in rules:
        notice = row_notice(rule, tr)
        if notice is not None:
            st.caption(f":material/filter_alt: {escape_markdown(notice)}")
        if rule.hidden_columns:
            columns = ", ".join(rule.hidden_columns)
            text = md_t(tr, "answer.rule.columns", table=rule.table, columns=columns)
            st.caption(f":material/visibility_off: {text}")


def _agreement(agreement: tuple[int, int] | None, tr: Translator) -> None:
    """When the first result looked doubtful and other queries were run: how many agree
    (a split vote is a warning — the answer most likely to be right is still a guess)."""
    if agreement is None:
        return
    agreeing, total = agreement
    if 2 * agreeing > total:
        text = tr("answer.agreement", agreeing=agreeing, total=total)
        st.caption(f":material/how_to_vote: {text}")
    else:
        st.warning(
            tr("answer.agreement.weak", agreeing=agreeing, total=total), icon=":material/help:"
        )


def _seconds(total: float, language: str) -> str:
    """'12.3', '0.42', '0.004': what the run took, never '0.0' for a fast query."""
    decimals = 1 if total >= 1 else 2 if total >= 0.01 else 3
    return format_number(max(total, 0.001), language, decimals=decimals)


def _sql_editor(turn: ChatTurn, ctx: AnswerContext) -> None:
    failed, tr = turn.answer.error is not None, ctx.tr
    with st.expander("SQL", icon=":material/code:", expanded=failed):
        edited = st.text_area(
            "SQL",
            value=turn.written_sql or "",
            key=f"turn_{turn.id}_sql",
            height=160,
            label_visibility="collapsed",
        )
        ran = turn.answer.sql
        # Once when the guard changed nothing but the spelling and the row cap.
        written = turn.written_sql or ""
        if ran and not failed and not same_query(written, ran, ctx.engine.runner.dialect):
            st.caption(tr("answer.sql.ran"))
            st.code(ran, language="sql", wrap_lines=True)
        if st.button(
            tr("answer.sql.rerun"), key=f"turn_{turn.id}_rerun", icon=":material/play_arrow:"
        ):
            try:
                run_own_sql(
                    edited, ctx.actor, ctx.conversation_id, ctx.language, question=turn.question
                )
            except KeskinubeError as exc:  # the run could not be kept
                st.error(md_error(exc, ctx.language))
            else:
                st.rerun()


def _actions(turn: ChatTurn, spec: ChartSpec, ctx: AnswerContext) -> None:
    sql, tr = turn.written_sql or "", ctx.tr
    with st.container(horizontal=True, vertical_alignment="center"):
        limits = {
            "rows": format_count(ctx.settings.export_row_limit, ctx.language),
            "size": megabytes(ctx.settings.export_max_bytes),
        }
        st.download_button(
            tr("answer.download_csv"),
            data=_csv_maker(turn, ctx),
            file_name=export_file_name(turn.question),
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
            key=f"turn_{turn.id}_csv",
            help=tr("answer.download_csv.help", **limits),
        )
        if turn.question and st.button(
            "", icon=":material/thumb_up:", key=f"turn_{turn.id}_up", help=tr("answer.good")
        ):
            ctx.stores.feedback.thumbs_up(
                ctx.actor.username, turn.question, sql, run_id=turn.run_id
            )
            st.toast(tr("answer.good.thanks"))
        if turn.question:
            _thumbs_down(turn, sql, ctx)
        if ctx.can_pin:
            _pin(turn, spec, sql, ctx)


def _thumbs_down(turn: ChatTurn, sql: str, ctx: AnswerContext) -> None:
    tr = ctx.tr
    with st.popover("", icon=":material/thumb_down:", help=tr("answer.bad")):
        comment = st.text_input(tr("answer.bad.comment"), key=f"turn_{turn.id}_comment")
        if st.button(tr("answer.bad.send"), key=f"turn_{turn.id}_down"):
            ctx.stores.feedback.thumbs_down(
                ctx.actor,
                turn.question,
                sql,
                comment,
                forget=ctx.engine.forget,
                run_id=turn.run_id,
            )
            st.toast(tr("answer.bad.thanks"))


def _pin(turn: ChatTurn, spec: ChartSpec, sql: str, ctx: AnswerContext) -> None:
    owner, tr = ctx.actor.username, ctx.tr
    pinned = st.session_state.pop(_PINNED_KEY, None)
    if isinstance(pinned, str):  # the pin of the run before (see below)
        st.toast(pinned)
    with st.popover(tr("answer.pin"), icon=":material/push_pin:"):
        names: list[str | None] = [d.name for d in ctx.stores.dashboards.list_for(owner)]
        choice = st.selectbox(
            tr("answer.pin.dashboard"),
            [*names, None],
            key=f"turn_{turn.id}_board",
            format_func=lambda name: tr("answer.pin.new_dashboard") if name is None else name,
        )
        name = (
            choice
            if choice is not None
            else st.text_input(
                tr("answer.pin.name"),
                value=tr("answer.pin.default_name"),
                key=f"turn_{turn.id}_new_board",
            )
        )
        if st.button(tr("answer.pin.button"), type="primary", key=f"turn_{turn.id}_pin"):
            try:
                board = ctx.stores.dashboards.get_or_create(owner, name)
                ctx.stores.dashboards.pin(
                    owner, board.id, question=turn.question, sql=sql, chart=spec, source=ctx.source
                )
            except KeskinubeError as exc:
                st.warning(md_error(exc, ctx.language))
            else:
                # Run again, so every answer's menu (those drawn above too) lists a
                # dashboard just created; the toast waits for that run.
                st.session_state[_PINNED_KEY] = md_t(tr, "answer.pin.done", name=board.name)
                st.rerun()


def _csv_maker(turn: ChatTurn, ctx: AnswerContext) -> Callable[[], bytes]:
    """What the download button calls on click: re-run up to the export caps, audited.

    Deferred (Streamlit runs it on the click, not on each page run); what it returns is
    held in Streamlit's memory until served, hence the byte cap (EXPORT_MAX_BYTES).
    """
    service, actor, language = answers(), ctx.actor, ctx.language
    sql, question = turn.written_sql or "", turn.question
    warnings = audit_warnings()  # the deferred call runs outside the script: no session

    def make() -> bytes:
        with SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as out:
            try:
                reply = service.export(actor, sql, out, question=question, language=language)
            except KeskinubeError as exc:
                log.info("export refused for %s: %s", actor.username, exc)
                return error_csv(exc.render(language))
            except OSError:  # e.g. a full disk under the spooled temporary file
                log.exception("export failed for %s", actor.username)
                return error_csv(t("common.unexpected_error", language))
            show_later(reply.audit_warning, warnings=warnings)
            out.seek(0)
            return out.read()

    return make
