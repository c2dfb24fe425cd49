"""What the MCP tools hand back, built from answers without a server: the rows capped and
the cap said, a failure as the catalogue message, tables without the hidden columns, the
data sources without their whereabouts for non-admins, and the caller's language taken
from Accept-Language."""

from __future__ import annotations

import pandas as pd
import pytest

from api.mcp_results import ask_result, markdown_table, schema_result, sources_result
from api.mcp_server import preferred_language
from backend.answer_service import Reply
from backend.domain import (
    AccessPolicy,
    Answer,
    AppliedRule,
    ColumnDoc,
    QueryResult,
    Retrieval,
    ScoredTable,
    TableDoc,
)
from backend.i18n import Message, t
from backend.sources import DataSource


def reply_with(rows: int, *, truncated: bool = False) -> Reply:
    frame = pd.DataFrame({"id": range(1, rows + 1), "city": ["A|B"] * rows})
    answer = Answer(
        question="which cities",
        sql="SELECT id, city FROM places",
        result=QueryResult(frame, truncated, 0.01),
        rules=(AppliedRule("places", condition="region = '2'", hidden_columns=("secret",)),),
    )
    return Reply(answer=answer, summary="Two cities.")


@pytest.mark.parametrize(
    ("rows", "truncated", "key", "params"),
    [
        (3, False, "mcp.ask.rows.other", {"count": 3}),
        (1, False, "mcp.ask.rows.one", {}),
        (7, False, "mcp.ask.rows_first", {"shown": 5, "count": 7}),
        (7, True, "mcp.ask.rows_first_more", {"shown": 5, "count": 7}),
        (0, False, "mcp.ask.no_rows", {}),
    ],
)
def test_the_rows_are_capped_and_the_cap_is_said(
    rows: int, truncated: bool, key: str, params: dict[str, int]
) -> None:
    result = ask_result(reply_with(rows, truncated=truncated), "en", max_rows=5)
    data = result.structured_content
    assert data is not None and not result.is_error
    assert len(data["rows"]) == min(rows, 5) and data["row_count"] == rows
    assert data["truncated"] == (truncated or rows > 5)
    assert t(key, "en", **params) in result.content[0].text  # type: ignore[union-attr]


def test_the_access_rules_are_said_in_the_callers_language() -> None:
    for language in ("en", "es"):
        data = ask_result(reply_with(2), language, max_rows=5).structured_content
        assert data is not None
        hidden = t("answer.rule.columns", language, table="places", columns="secret")
        assert len(data["notes"]) == 2 and data["notes"][1] == hidden


def test_a_failed_answer_is_a_tool_error_with_the_catalogue_message() -> None:
    message = Message.of("guard.column.denied", table="orders", column="note")
    answer = Answer(
        question="notes",
        sql="SELECT note FROM orders",
        result=None,
        error=str(message),
        error_message=message,
    )
    result = ask_result(Reply(answer=answer), "es", max_rows=5)
    assert result.is_error
    assert result.content[0].text == t("mcp.ask.failed", "es", error=message.render("es"))  # type: ignore[union-attr]
    assert result.structured_content is not None
    assert result.structured_content["error"] == message.render("es")


def test_a_cell_cannot_break_its_markdown_row() -> None:
    table = markdown_table(["a", "b"], [["x|y", "two\nlines"], [None, 3]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | two lines |", "|  | 3 |"]


def test_a_schema_search_leaves_out_hidden_columns_and_tables() -> None:
    tables = {
        "orders": TableDoc(
            "orders",
            (ColumnDoc("id", "INT"), ColumnDoc("note", "TEXT", comment="Free text")),
            description="One row per order",
        ),
        "payroll": TableDoc("payroll", (ColumnDoc("salary", "DECIMAL"),)),
    }
    policy = AccessPolicy(
        allowed_tables=frozenset({"orders"}), denied_columns=frozenset({("orders", "note")})
    )
    retrieval = Retrieval(
        tables=(ScoredTable("payroll", 0.9), ScoredTable("orders", 0.5)), mode="hybrid"
    )
    data = schema_result("pay", retrieval, tables, policy, "en").structured_content
    assert data == {
        "query": "pay",
        "tables": [
            {
                "name": "orders",
                "description": "One row per order",
                "columns": [{"name": "id", "type": "INT", "description": None}],
            }
        ],
    }
    empty = schema_result("pay", Retrieval(tables=(), mode="hybrid"), tables, policy, "es")
    assert empty.content[0].text == t("mcp.schema.none", "es", query="pay")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("fr, en;q=0.5, es;q=0.7", "es"),
        ("en;q=0, es; q=0.3", "es"),
        ("de", None),
        (None, None),
    ],
)
def test_the_callers_language_comes_from_accept_language(
    header: str | None, expected: str | None
) -> None:
    assert preferred_language(header) == expected


SOURCES = [
    DataSource(name="main", kind="mysql", database="sales", host="db.internal", port=3306),
    DataSource(name="stock", kind="sqlite", database="/srv/stock.sqlite", description="Stock"),
]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_sources_say_where_they_are_to_admins_only(language: str) -> None:
    plain = sources_result(SOURCES, "main", language, admin=False)
    admin = sources_result(SOURCES, "main", language, admin=True)
    assert plain.structured_content == {
        "sources": [
            {"name": "main", "kind": "mysql", "description": None, "where": None},
            {"name": "stock", "kind": "sqlite", "description": "Stock", "where": None},
        ],
        "default": "main",
    }
    text = plain.content[0].text  # type: ignore[union-attr]
    assert "db.internal" not in text and "/srv" not in text
    assert t("mcp.sources.default", language, name="main") in text
    assert admin.structured_content is not None
    wheres = [source["where"] for source in admin.structured_content["sources"]]
    assert wheres == ["db.internal:3306/sales", "/srv/stock.sqlite"]


def test_no_default_source_is_said_and_no_source_at_all_too() -> None:
    several = sources_result(SOURCES, None, "en", admin=False)
    assert t("mcp.sources.choose", "en") in several.content[0].text  # type: ignore[union-attr]
    nothing = sources_result([], None, "es", admin=False)
    assert nothing.content[0].text == t("mcp.sources.none", "es")  # type: ignore[union-attr]
