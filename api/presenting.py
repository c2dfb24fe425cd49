"""An answer as the API returns it: fresh from the answer service, or stored in a turn.

Built on `backend.answer_json.answer_to_json` (what `keskinube ask --json` prints), plus
what the page shows beside an answer: the chart as Plotly JSON, the summary, the SQL
explained in words, the access rules that shaped it, each in the caller's language.
The tries behind an answer (the model's SQL, the errors) are for admins, as on the page.
"""

from __future__ import annotations

from typing import Any

from api.errors import answer_error, error_body
from api.security import Caller
from api.services import SourceDoor
from backend.answer_json import answer_to_json
from backend.answer_service import Reply
from backend.charts import ChartSpec
from backend.conversations import ChatTurn, TurnKind, written_sql
from backend.domain import Answer, AppliedRule
from backend.explain import explain_sql
from backend.i18n import Message, Translator
from backend.result_view import chart_json, result_hints
from backend.rule_notes import row_notice


def reply_body(door: SourceDoor, caller: Caller, reply: Reply, *, kind: TurnKind) -> dict[str, Any]:
    """A fresh answer (`/v1/ask`, `/v1/sql`, the stream's `answer` event) on `door`'s
    source."""
    turn = reply.turn
    body = _body(
        door,
        caller,
        reply.answer,
        kind=kind,
        written=turn.written_sql if turn is not None else written_sql(reply.answer),
        chart=reply.chart,
        summary=reply.summary,
        explanation=reply.explanation,
    )
    body["conversation_id"] = reply.conversation_id
    body["turn_id"] = None if turn is None else turn.id
    warning = reply.audit_warning
    body["audit_warning"] = None if warning is None else warning.render(caller.language)
    return body


def turn_body(door: SourceDoor, caller: Caller, turn: ChatTurn) -> dict[str, Any]:
    """A stored turn of a conversation on `door`'s source, as it was answered."""
    explained = None
    if turn.answer.ok and turn.written_sql:
        explained = explain_sql(turn.written_sql, door.answers.dialect)
    body = _body(
        door,
        caller,
        turn.answer,
        kind=turn.kind,
        written=turn.written_sql,
        chart=turn.chart,
        summary=turn.summary,
        explanation=explained,
    )
    body.update(conversation_id=turn.conversation_id, turn_id=turn.id, audit_warning=None)
    return body


def _body(
    door: SourceDoor,
    caller: Caller,
    answer: Answer,
    *,
    kind: TurnKind,
    written: str | None,
    chart: ChartSpec | None,
    summary: str,
    explanation: Message | None,
) -> dict[str, Any]:
    language = caller.language
    base = answer_to_json(answer, max_rows=None)
    error = answer_error(answer, own_sql=kind == "sql")
    body: dict[str, Any] = {
        "ok": answer.ok,
        "kind": kind,
        "source": door.source,
        "question": answer.question,
        "sql": written,
        "checked_sql": answer.sql if answer.ok else None,
        "columns": base["columns"],
        "rows": base["rows"],
        "row_count": base["row_count"],
        "truncated": base["truncated"],
        "chart": _chart(door, answer, chart, written, language),
        "summary": summary or None,
        "explanation": None if explanation is None else explanation.render(language),
        "agreement": base["agreement"],
        "rules": [_rule(rule, language) for rule in answer.rules],
        "timings": base["timings"],
        "cached": answer.cached,
        "error": None if error is None else error_body(*error, language)["error"],
    }
    if caller.user.is_admin:
        body["attempts"] = base["attempts"]
    return body


def _chart(
    door: SourceDoor,
    answer: Answer,
    chart: ChartSpec | None,
    written: str | None,
    language: str,
) -> dict[str, Any] | None:
    if answer.result is None or chart is None:
        return None
    frame = answer.result.frame
    settings = door.services.settings
    hints = result_hints(
        written or answer.sql or "",
        [str(column) for column in frame.columns],
        engine=door.services.engine,
        knowledge=door.knowledge.get(),
        language=language,
        include_drafts=settings.knowledge_use_drafts,
    )
    currency = settings.currency_symbol
    shape = answer.result.shape
    return chart_json(frame, chart, language=language, currency=currency, hints=hints, shape=shape)


def _rule(rule: AppliedRule, language: str) -> dict[str, Any]:
    return {
        "table": rule.table,
        "condition": rule.condition,
        "hidden_columns": list(rule.hidden_columns),
        "notice": row_notice(rule, Translator(language)),
    }
