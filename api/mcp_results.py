"""What the MCP tools hand back: an answer, a schema search or the data sources, as text
and as structured data.

An AI assistant reads the text (a summary, the SQL, the first rows as a markdown table,
the plain-words explanation, the access rules that shaped the result); a program reads the
structured content, whose shape the tools publish as their output schema. Both are in the
caller's language. A question the product could not answer is a tool error whose text is
the catalogue message a person would read on the page — never a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from backend.answer_service import Reply
from backend.conversations import written_sql
from backend.domain import AccessPolicy, Answer, Retrieval, TableDoc
from backend.frame_json import encode_frame
from backend.i18n import Translator, render
from backend.rule_notes import row_notice
from backend.sources import DataSource


class AskResult(BaseModel):
    """One answer. `sql` is the query as written (what `explanation` describes, what to
    run again); `sql_ran` is what the database ran, after the caller's access rules and the
    row cap. `rows` holds at most the endpoint's row cap; `row_count` is how many the query
    returned, and `truncated` says that more exist than `rows` holds."""

    question: str
    ok: bool
    sql: str | None = None
    sql_ran: str | None = None
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    row_count: int = 0
    truncated: bool = False
    summary: str = ""
    explanation: str | None = None
    notes: list[str] = Field(default_factory=list)
    error: str | None = None


class ColumnInfo(BaseModel):
    name: str
    type: str
    description: str | None = None


class TableInfo(BaseModel):
    name: str
    description: str | None = None
    columns: list[ColumnInfo] = Field(default_factory=list)


class SchemaResult(BaseModel):
    """The tables the caller may read that best match `query`, best first."""

    query: str
    tables: list[TableInfo] = Field(default_factory=list)


class SourceInfo(BaseModel):
    name: str
    kind: str
    description: str | None = None
    where: str | None = None  # admins only: host, port and database, or the file


class SourcesResult(BaseModel):
    """The data sources the caller may ask; `default` is where a question that names
    none goes (null: every question must name one)."""

    sources: list[SourceInfo] = Field(default_factory=list)
    default: str | None = None


def ask_result(reply: Reply, language: str, *, max_rows: int) -> CallToolResult:
    """The tool result of one answer: the rows capped at `max_rows`."""
    tr = Translator(language)
    answer = reply.answer
    notes = _notes(reply, tr)
    if not answer.ok or answer.result is None:
        error = render(answer.error_message or answer.error, tr.language) or ""
        result = AskResult(question=answer.question, ok=False, sql=written_sql(answer), error=error)
        text = "\n\n".join([tr("mcp.ask.failed", error=error), *notes])
        return _result(text, result, error=True)
    frame = answer.result.frame
    shown = encode_frame(frame.head(max_rows))
    result = AskResult(
        question=answer.question,
        ok=True,
        sql=written_sql(answer),
        sql_ran=answer.sql,
        columns=shown["columns"],
        rows=shown["rows"],
        row_count=len(frame),
        truncated=answer.result.truncated or len(frame) > max_rows,
        summary=reply.summary,
        explanation=None if reply.explanation is None else reply.explanation.render(tr.language),
        notes=notes,
    )
    return _result(_answer_text(result, answer, tr), result)


def schema_result(
    query: str,
    retrieval: Retrieval,
    tables: Mapping[str, TableDoc],
    policy: AccessPolicy,
    language: str,
) -> CallToolResult:
    """The tool result of a schema search: the ranked tables, without the columns that
    `policy` hides (the search already left out the tables it hides)."""
    tr = Translator(language)
    found = [
        _table_info(tables[scored.name], policy)
        for scored in retrieval.tables
        if scored.name in tables and policy.allows_table(scored.name)
    ]
    result = SchemaResult(query=query, tables=found)
    if not found:
        return _result(tr("mcp.schema.none", query=query), result)
    return _result("\n\n".join(_table_text(table, tr) for table in found), result)


def sources_result(
    sources: Sequence[DataSource], default: str | None, language: str, *, admin: bool
) -> CallToolResult:
    """The tool result of `list_sources`: names, kinds, descriptions (`where` for admins)."""
    tr = Translator(language)
    found = [
        SourceInfo(
            name=source.name,
            kind=source.kind,
            description=source.description or None,
            where=source.where() if admin else None,
        )
        for source in sources
    ]
    result = SourcesResult(sources=found, default=default)
    if not found:
        return _result(tr("mcp.sources.none"), result)
    lines = [_source_text(source) for source in found]
    if default is not None:
        lines.append(tr("mcp.sources.default", name=default))
    else:
        lines.append(tr("mcp.sources.choose"))
    return _result("\n".join(lines), result)


def error_result(text: str) -> CallToolResult:
    """A tool error the assistant reads as is (a catalogue message, already rendered)."""
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as a markdown table; a cell's pipes and line breaks cannot break its row."""
    lines = [_markdown_row(columns), "|" + "---|" * len(columns)]
    lines.extend(_markdown_row(row) for row in rows)
    return "\n".join(lines)


def _result(text: str, data: BaseModel, *, error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=data.model_dump(mode="json"),
        is_error=error,
    )


def _answer_text(result: AskResult, answer: Answer, tr: Translator) -> str:
    parts = [result.summary] if result.summary else []
    if result.sql:
        parts.append(f"```sql\n{result.sql}\n```")
    parts.append(_rows_heading(result, answer, tr))
    if result.rows:
        parts.append(markdown_table(result.columns, result.rows))
    if result.explanation:
        parts.append(result.explanation)
    parts.extend(result.notes)
    return "\n\n".join(parts)


def _rows_heading(result: AskResult, answer: Answer, tr: Translator) -> str:
    if not result.row_count:
        return tr("mcp.ask.no_rows")
    shown = len(result.rows)
    more = answer.result is not None and answer.result.truncated
    if more:
        return tr("mcp.ask.rows_first_more", shown=shown, count=result.row_count)
    if shown < result.row_count:
        return tr("mcp.ask.rows_first", shown=shown, count=result.row_count)
    return tr.count("mcp.ask.rows", result.row_count)


def _notes(reply: Reply, tr: Translator) -> list[str]:
    """The access rules that shaped the answer, and a failed audit write, in words: a
    filtered count must never pass for the whole company's."""
    notes = []
    for rule in reply.answer.rules:
        notice = row_notice(rule, tr)
        if notice is not None:
            notes.append(notice)
        if rule.hidden_columns:
            columns = ", ".join(rule.hidden_columns)
            notes.append(tr("answer.rule.columns", table=rule.table, columns=columns))
    if reply.audit_warning is not None:
        notes.append(reply.audit_warning.render(tr.language))
    return notes


def _table_info(table: TableDoc, policy: AccessPolicy) -> TableInfo:
    columns = [
        ColumnInfo(name=c.name, type=c.type, description=c.description or c.comment)
        for c in table.columns
        if policy.allows_column(table.name, c.name)
    ]
    return TableInfo(
        name=table.name, description=table.description or table.comment, columns=columns
    )


def _table_text(table: TableInfo, tr: Translator) -> str:
    head = f"{table.name}: {table.description}" if table.description else table.name
    columns = ", ".join(
        f"{c.name} ({c.type})" + (f" — {c.description}" if c.description else "")
        for c in table.columns
    )
    return f"{head}\n{tr('mcp.schema.columns', columns=columns)}"


def _source_text(source: SourceInfo) -> str:
    text = f"- {source.name} ({source.kind})"
    if source.description:
        text += f": {source.description}"
    return text + (f" [{source.where}]" if source.where else "")


def _markdown_row(cells: Sequence[Any]) -> str:
    text = ("" if cell is None else str(cell) for cell in cells)
    return "| " + " | ".join(t.replace("|", "\\|").replace("\n", " ") for t in text) + " |"
