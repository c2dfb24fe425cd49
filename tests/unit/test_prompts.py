"""The prompt's token estimate and its schema view helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc
from backend.join_paths import fk_graph
from backend.prompts import (
    PromptParts,
    asks_for_ties,
    build_prompt,
    estimate_tokens,
    names_relative_period,
)
from backend.schema_render import render_table
from backend.schema_view import SchemaView


def test_token_estimate_counts_each_digit_as_qwen_does() -> None:
    assert estimate_tokens("") == 1
    words = estimate_tokens("the quick brown fox jumps over the lazy dog")
    numbers = estimate_tokens("'department 10', 'department 11', 'department 12'")
    assert words == 12  # 43 characters / 4, + 1
    assert numbers > len("'department 10', 'department 11', 'department 12'") // 3


def _table(name: str, *refs: str) -> TableDoc:
    columns = (
        ColumnDoc("id", "INT", False, None, True),
        *(ColumnDoc(f"{r}_id", "INT") for r in refs),
    )
    return TableDoc(
        name, columns, foreign_keys=tuple(ForeignKey((f"{r}_id",), r, ("id",)) for r in refs)
    )


TABLES = [_table("customers"), _table("orders", "customers"), _table("payments", "orders")]


def test_schema_view_derives_per_policy_what_direct_computation_gives() -> None:
    view = SchemaView(TABLES)
    policy = AccessPolicy(allowed_tables=frozenset({"customers", "payments"}))
    visible = {t.name: t for t in TABLES if policy.allows_table(t.name)}
    assert view.visible(policy) == visible
    assert view.graph_for(policy) == fk_graph(visible) == {"customers": [], "payments": []}
    block = view.block("payments", policy)
    assert block.text == render_table(TABLES[2], policy=policy)
    assert "REFERENCES" not in block.text and view.block("payments", policy) is block
    assert view.known.columns["orders"] == ("id", "customers_id")


def test_whole_schema_fits_when_its_tables_add_up_to_the_limit() -> None:
    view = SchemaView(TABLES)
    policy = AccessPolicy()
    total = sum(view.block(t.name, policy).tokens for t in TABLES)
    assert view.fits_whole(policy, total) and not view.fits_whole(policy, total - 1)


def test_a_spanish_question_gets_a_language_line_next_to_it_and_the_prefix_stays() -> None:
    from backend.prompts import PromptParts, build_prompt

    schema = ["CREATE TABLE customers (id INT, country TEXT);"]
    english = build_prompt(
        PromptParts("mysql", schema, question="customers per country"), budget_tokens=4000
    ).messages
    spanish = build_prompt(
        PromptParts("mysql", schema, question="clientes por país", question_language="es"),
        budget_tokens=4000,
    ).messages
    assert english[0] == spanish[0]  # the system part (the cached prefix) is the same
    assert "Spanish" not in english[1][1]
    before, question = spanish[1][1].rsplit("\n\n", 1)
    assert question == "Question: clientes por país"
    assert before.startswith("The question is in Spanish")


def test_todays_date_goes_next_to_the_question_not_into_the_cached_system_message() -> None:
    schema = ["CREATE TABLE orders (id INT, placed DATE);"]
    days = [dt.date(2026, 12, 6), dt.date(2027, 1, 1)]
    built = [
        build_prompt(
            PromptParts("mysql", schema, question="orders last month", today=day),
            budget_tokens=4000,
        ).messages
        for day in days
    ]
    assert built[0][0] == built[1][0]  # the same system message on any day
    assert "2026" not in built[0][0][1]
    today, question = built[0][1][1].rsplit("\n\n", 1)
    assert today.startswith("Today is 2026-12-06 (Sunday).") and "relative periods" in today
    assert question == "Question: orders last month"
    assert built[1][1][1].startswith("Today is 2027-01-01 (Friday).")


def test_without_a_date_there_is_no_today_line() -> None:
    built = build_prompt(
        PromptParts("mysql", ["CREATE TABLE t (a INT);"], question="q"), budget_tokens=4000
    ).messages
    assert built[1][1] == "Question: q"


def test_a_question_without_a_relative_period_is_not_told_the_date() -> None:
    built = build_prompt(
        PromptParts(
            "mysql",
            ["CREATE TABLE t (a INT);"],
            question="orders per year in 2024",
            today=dt.date(2026, 12, 6),
        ),
        budget_tokens=4000,
    ).messages
    assert built[1][1] == "Question: orders per year in 2024"


@pytest.mark.parametrize(
    "question",
    [
        "revenue last quarter",
        "sales this year",
        "orders in the last 30 days",
        "What was revenue yesterday?",
        "year-to-date margin",
        "returns 3 months ago",
        "ventas del mes pasado",
        "¿cuántos clientes este año?",
        "pedidos de los últimos 3 meses",
        "altas de hace 2 años",
        "ingresos de hoy",
    ],
)
def test_relative_periods_are_recognised_in_both_languages(question: str) -> None:
    assert names_relative_period(question)


@pytest.mark.parametrize(
    "question",
    [
        "How many singers are there?",
        "List the last name of every student",
        "Which year had the most concerts?",
        "cars made in 1970",
        "the latest order",
        "orders per month in 2024",
        "¿Cuántos clientes hay por país?",
        "el año con más ventas",
    ],
)
def test_questions_without_one_are_not_told_the_date(question: str) -> None:
    assert not names_relative_period(question)


@pytest.mark.parametrize(
    "question",
    [
        "Which product sold the most units, including ties?",
        "the best-paid employees, with ties",
        "who is tied for first place in sales?",
        "the cities jointly top by revenue",
        "los clientes con más pedidos, con empates",
        "¿qué tiendas están empatadas en ventas?",
        "in case of a tie show all of them",
    ],
)
def test_questions_asking_for_ties_are_told_to_keep_them(question: str) -> None:
    built = build_prompt(
        PromptParts("mysql", ["CREATE TABLE t (a INT);"], question=question), budget_tokens=4000
    ).messages
    assert "keep ties" in built[1][1]
    assert built[1][1].endswith(f"Question: {question}")
    assert "keep ties" not in built[0][1]  # never in the cached system message


@pytest.mark.parametrize(
    "question",
    [
        "Which product sold the most units?",
        "top 5 customers by revenue",
        "employees ordered by salary, ties broken by name",
        "rank the stores, breaking ties by city",
        "use a tie-breaker on the date",
        "¿Qué cliente compró más?",
        "the entity with the highest count",
    ],
)
def test_questions_that_do_not_ask_for_ties_are_not_told(question: str) -> None:
    assert not asks_for_ties(question)


def test_a_prompt_too_long_leaves_out_the_lowest_ranked_table_wherever_it_is_listed() -> None:
    blocks = [f"CREATE TABLE {name} ({' '.join(['col INT,'] * 60)});" for name in "abc"]
    # Listed a, b, c (the cached order) but ranked c, a, b: b is the least relevant.
    parts = PromptParts("mysql", blocks, schema_ranks=[1, 2, 0], question="q")
    whole = build_prompt(parts, budget_tokens=100_000).estimated_tokens
    budget = whole - estimate_tokens(blocks[0]) // 2  # room for all but one table
    built = build_prompt(parts, budget_tokens=budget)
    system = built.messages[0][1]
    assert built.dropped == ("table",)
    assert "CREATE TABLE a" in system and "CREATE TABLE c" in system
    assert "CREATE TABLE b" not in system
    assert system.index("CREATE TABLE a") < system.index("CREATE TABLE c"), "order kept"
    unranked = build_prompt(replace(parts, schema_ranks=()), budget_tokens=budget)
    assert "CREATE TABLE c" not in unranked.messages[0][1], "no ranks: the last goes first"
