"""The shapes of requests and answers, as /docs shows them.

Requests are validated against these models; answers are written by `api.presenting`
(straight to JSON, see `api.json_response`) and described here for the docs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

QUESTION_MAX = 2_000  # characters: a question, not a document
# Characters of SQL a request may carry: far above what the guard checks (SQL_MAX_LENGTH,
# 20,000 by default), only so that nobody has a megabyte of JSON parsed for nothing.
SQL_MAX = 200_000


SOURCE_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"  # a source's name (backend.sources.valid_name)
SOURCE_HELP = (
    "The data source to ask (`GET /v1/sources`). Default: `main` when you may use it, "
    "else your only source; a conversation continues on its own source."
)


def source_field() -> Any:
    return Field(None, pattern=SOURCE_PATTERN, description=SOURCE_HELP)


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=QUESTION_MAX, description="In plain words.")
    conversation_id: int | None = Field(
        None, description="Ask in this conversation of yours (follow-ups see its last turns)."
    )
    source: str | None = source_field()
    keep: bool = Field(
        True,
        description="Store the answer in a conversation (`conversation_id`, else a new one).",
    )


class SqlIn(BaseModel):
    sql: str = Field(
        min_length=1, max_length=SQL_MAX, description="One SELECT; the guard applies your rules."
    )
    conversation_id: int | None = Field(None, description="Store it in this conversation.")
    keep: bool = Field(True, description="Store the answer in a conversation.")
    source: str | None = source_field()


class ExportIn(BaseModel):
    sql: str = Field(
        min_length=1, max_length=SQL_MAX, description="One SELECT, run up to the export caps."
    )
    question: str = Field(
        "", max_length=QUESTION_MAX, description="What it answers: names the file."
    )
    source: str | None = source_field()


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, for programs: unauthorized, rate_limited, ...")
    message: str | None = Field(None, description="For people, in the caller's language.")


class ErrorOut(BaseModel):
    error: ErrorDetail


# The error answers every route with a token may give, for /docs.
TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No usable token."},
    429: {"model": ErrorOut, "description": "Rate limit reached; see Retry-After."},
}
SOURCE_ERRORS: dict[int | str, dict[str, Any]] = {
    **TOKEN_ERRORS,
    400: {"model": ErrorOut, "description": "`source_required`: name the source to ask."},
    404: {
        "model": ErrorOut,
        "description": "`unknown_source`: no such source, or not one you may use.",
    },
}
UNAVAILABLE_ERRORS: dict[int | str, dict[str, Any]] = {
    **SOURCE_ERRORS,
    409: {
        "model": ErrorOut,
        "description": "`conversation_source`: the conversation is on another source.",
    },
    503: {"model": ErrorOut, "description": "The model or the business database is down."},
}


class RuleOut(BaseModel):
    table: str
    condition: str | None = Field(None, description="The row filter applied to the table.")
    hidden_columns: list[str] = Field(description="Columns of the table you may not see.")
    notice: str | None = Field(None, description="The row filter in words.")


class ChartOut(BaseModel):
    spec: dict[str, Any] = Field(description="kind, x, y, color, title, reason.")
    figure: dict[str, Any] | None = Field(
        None, description="Plotly figure JSON (`data`, `layout`), for `Plotly.newPlot`."
    )
    kpi: dict[str, str] | None = Field(None, description="`label` and `value` of a KPI card.")


class AnswerOut(BaseModel):
    ok: bool
    kind: str = Field(description="`question` or `sql`.")
    source: str = Field(description="The data source that answered.")
    question: str
    sql: str | None = Field(None, description="The SQL written (re-run it with /v1/sql).")
    checked_sql: str | None = Field(
        None, description="The statement the guard let run (row cap and row filters added)."
    )
    columns: list[str]
    rows: list[list[Any]] = Field(description="At most ROW_LIMIT rows.")
    row_count: int
    truncated: bool = Field(description="More rows existed than ROW_LIMIT.")
    chart: ChartOut | None
    summary: str | None = Field(None, description="One sentence, in the caller's language.")
    explanation: str | None = Field(None, description="What the SQL computed, in words.")
    agreement: list[int] | None = Field(
        None, description="[queries agreeing, queries in the vote] when the answer was in doubt."
    )
    rules: list[RuleOut] = Field(description="Your access rules that shaped the result.")
    timings: dict[str, float] = Field(description="Seconds per stage.")
    cached: bool
    conversation_id: int | None
    turn_id: int | None
    error: ErrorDetail | None
    audit_warning: str | None = None
    attempts: list[dict[str, Any]] | None = Field(None, description="Each try (admins only).")


class ConversationOut(BaseModel):
    id: int
    title: str
    source: str = Field(description="The data source its questions were asked of.")
    created_at: datetime
    updated_at: datetime


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class ConversationDetail(ConversationOut):
    turns: list[AnswerOut]


class SourceOut(BaseModel):
    name: str = Field(description="What `source` takes in a request.")
    kind: str = Field(description="mysql, postgresql or sqlite.")
    description: str | None = Field(None, description="What is in it, in the admin's words.")
    where: str | None = Field(
        None, description="Host, port and database, or the file (admins only)."
    )


class SourceList(BaseModel):
    sources: list[SourceOut] = Field(description="The sources you may ask, `main` first.")
    default: str | None = Field(
        None, description="The source a request without `source` goes to; null: none."
    )


class TableScore(BaseModel):
    name: str
    score: float


class SchemaSearchOut(BaseModel):
    tables: list[TableScore]
    mode: str
    source: str = Field(description="The data source searched.")


class HealthOut(BaseModel):
    ok: bool
    database: bool
    model: bool
    vectors: bool
