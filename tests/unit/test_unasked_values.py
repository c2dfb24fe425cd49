"""Values a query compares columns with that nobody asked for (an invented shop schema)."""

from __future__ import annotations

import pytest

from backend.candidates import doubt
from backend.domain import Example, Note, QueryResult
from backend.prompts import PromptParts, build_prompt, said_beside_question
from backend.unasked_values import unasked_values


def _unasked(sql: str, question: str, context: str = "", dialect: str = "mysql") -> tuple:
    return unasked_values(sql, question=question, context=context, dialect=dialect)


@pytest.mark.parametrize(
    ("sql", "question", "expected"),
    [
        (  # a year nobody named
            "SELECT clerk FROM awards WHERE award_year = '2019' GROUP BY clerk",
            "Which clerk won the most awards?",
            ("2019",),
        ),
        (  # a text value nobody named, beside one the question names
            "SELECT SUM(area) FROM stores JOIN langs ON stores.id = langs.store_id "
            "WHERE langs.lang = 'Finnish' AND stores.region IN ('North', 'South')",
            "What is the total floor area of the stores in the North and South regions?",
            ("Finnish",),
        ),
        (  # a number nobody named, in BETWEEN and in a comparison
            "SELECT name FROM plants WHERE price BETWEEN 5 AND 20 AND stock > 3",
            "Which plants cost between 5 and 20 euros?",
            ("3",),
        ),
        (  # a code the model made up for a place the question names
            "SELECT COUNT(*) FROM visits WHERE country_code = 'XQ'",
            "How many visits came from Narnia?",
            ("XQ",),
        ),
        (  # a date in a year nobody named, also as a typed literal and a year number
            "SELECT COUNT(*) FROM orders WHERE placed_at >= '2021-01-01' "
            "OR placed_at < DATE '2020-06-01' OR EXTRACT(YEAR FROM placed_at) = 2019",
            "How many orders were placed?",
            ("2021-01-01", "2020-06-01", "2019"),
        ),
        (  # a negative number, a short word inside a longer one is not the word
            "SELECT COUNT(*) FROM plants WHERE stock < -5 OR kind = 'art'",
            "What is the average start date of the plants?",
            ("5", "art"),
        ),
        (  # other comparisons
            "SELECT name FROM plants WHERE colour <=> 'teal' OR name REGEXP '^Zz'",
            "Which plants are there?",
            ("teal", "^Zz"),
        ),
    ],
)
def test_values_nobody_asked_for_are_found(sql: str, question: str, expected: tuple) -> None:
    assert sorted(_unasked(sql, question)) == sorted(expected)


@pytest.mark.parametrize(
    ("sql", "question"),
    [
        ("SELECT name FROM plants WHERE colour = 'red'", "Which plants are red?"),
        ("SELECT name FROM plants WHERE colour = 'Red'", "which plants are RED?"),
        ("SELECT name FROM plants WHERE name LIKE '%fern%'", "plants with fern in the name"),
        ("SELECT name FROM plants WHERE kind = 'Succulents'", "list every succulent plant"),
        ("SELECT name FROM plants WHERE kind = 'Categories'", "the categories"),
        # numbers in digits, words, scales and percentages
        ("SELECT name FROM plants WHERE stock < 3", "plants with fewer than three in stock"),
        ("SELECT name FROM c WHERE spent > 1000000", "customers who spent over a million"),
        ("SELECT name FROM c WHERE spent > 2500000", "customers above 2.5 million"),
        ("SELECT name FROM c WHERE spent > 30000", "customers above 30k"),
        ("SELECT name FROM c WHERE spent > 1500", "customers above 1,500 euros"),
        ("SELECT name FROM c WHERE margin > 0.25", "products with a margin above 25%"),
        ("SELECT name FROM c WHERE margin > 0.5", "products with more than half margin"),
        # 0 and 1: flags and "any"
        ("SELECT name FROM c WHERE active = 1 AND orders > 0", "active customers with orders"),
        # dates: the named year, the next year as an exclusive bound, relative periods
        (
            "SELECT COUNT(*) FROM o WHERE d >= '2024-01-01' AND d < '2025-01-01'",
            "How many orders in 2024?",
        ),
        ("SELECT COUNT(*) FROM o WHERE d >= '2026-09-01'", "How many orders last quarter?"),
        ("SELECT COUNT(*) FROM o WHERE d >= '2026-09-01'", "¿Cuántos pedidos el mes pasado?"),
        # a date part read off the calendar; a year of a relative period or a named month
        ("SELECT SUM(x) FROM s WHERE MONTH(d) = 11 AND YEAR(d) = 2026", "sales last month"),
        ("SELECT SUM(x) FROM s WHERE QUARTER(d) = 3 AND YEAR(d) = 2024", "revenue in Q3 2024"),
        ("SELECT SUM(x) FROM s WHERE DAYOFWEEK(d) IN (1, 7)", "weekend sales"),
        ("SELECT SUM(x) FROM s WHERE d >= '2024-01-01' AND d < '2025-01-01'", "revenue FY2024"),
        ("SELECT COUNT(*) FROM o WHERE d >= '2026-03-01'", "orders since March"),
        ("SELECT COUNT(*) FROM o WHERE d >= '2026-03-01'", "pedidos desde marzo"),
        # number formats: Spanish thousands, lists, words before a scale
        ("SELECT * FROM o WHERE total > 1500", "pedidos de más de 1.500 €"),
        ("SELECT * FROM o WHERE total > 1500.5", "pedidos de más de 1.500,50 €"),
        ("SELECT * FROM o WHERE id IN (1001, 1002, 1003)", "orders 1001,1002,1003"),
        ("SELECT * FROM o WHERE total > 10000", "orders over ten thousand dollars"),
        # flags, accents, plurals in -es
        ("SELECT * FROM c WHERE active = 'Y' AND vip = 'true'", "active VIP customers"),
        ("SELECT * FROM c WHERE sts_cd = 'A'", "names of active customers"),
        ("SELECT * FROM p WHERE name = 'Café Latte'", "sales of cafe latte"),
        ("SELECT * FROM p WHERE kind = 'Watches'", "how many watch sold"),
        # values in the SELECT list are the answer's shape, not filters
        (
            "SELECT CASE WHEN age < 18 THEN 'minor' ELSE 'adult' END AS band, COUNT(*) "
            "FROM c GROUP BY band",
            "customers by age group",
        ),
        # not compared with a column: formats, rounding, limits, output constants
        (
            "SELECT DATE_FORMAT(d, '%Y-%m') AS m, ROUND(SUM(x), 2) FROM o GROUP BY m LIMIT 5",
            "revenue per month",
        ),
        ("SELECT 'total' AS label, COUNT(*) FROM o", "how many orders"),
        # text values of a question in another language: translated on purpose
        ("SELECT COUNT(*) FROM c WHERE country = 'Germany'", "¿Cuántos clientes hay en Alemania?"),
        # what is not SQL at all
        ("this is not a query", "anything"),
    ],
)
def test_values_that_were_asked_for_are_not(sql: str, question: str) -> None:
    assert _unasked(sql, question) == ()


def test_a_value_the_business_notes_or_examples_give_is_asked_for() -> None:
    sql = "SELECT SUM(total) FROM orders WHERE status <> 'void' AND channel = 'kiosk'"
    question = "What is our revenue?"
    assert _unasked(sql, question) == ("void", "kiosk")
    parts = PromptParts(
        "mysql",
        ["CREATE TABLE orders (total INT, status TEXT, channel TEXT); -- values: 'void'"],
        question=question,
        notes=[Note("Revenue leaves out orders with status 'void'.", "Revenue")],
        examples=[Example("kiosk sales", "SELECT * FROM orders WHERE channel = 'kiosk'")],
    )
    said = said_beside_question(build_prompt(parts, budget_tokens=4000).messages)
    assert _unasked(sql, question, said) == ()


def test_the_schema_and_the_rules_are_not_what_was_said() -> None:
    parts = PromptParts(
        "mysql",
        ["CREATE TABLE orders (total INT, channel TEXT); -- values: 'kiosk', 'web'"],
        question="What is our revenue?",
        stable_notes=[Note("Revenue counts paid orders.", "Revenue")],
    )
    said = said_beside_question(build_prompt(parts, budget_tokens=4000).messages)
    assert "kiosk" not in said and "Rules:" not in said
    assert "paid orders" in said and "What is our revenue?" in said


def test_the_conversation_so_far_was_said() -> None:
    from backend.domain import Turn

    earlier = Turn("orders in 2023 from the kiosk", "SELECT * FROM o WHERE ch = 'kiosk'")
    parts = PromptParts(
        "mysql", ["CREATE TABLE o (ch TEXT);"], question="and by month?", conversation=[earlier]
    )
    said = said_beside_question(build_prompt(parts, budget_tokens=4000).messages)
    assert _unasked("SELECT * FROM o WHERE ch = 'kiosk' AND y = 2023", "and by month?", said) == ()


def test_an_unasked_value_puts_a_result_in_doubt_after_what_the_rows_show() -> None:
    import pandas as pd

    rows = QueryResult(frame=pd.DataFrame({"n": [4]}), truncated=False, elapsed_s=0.0)
    empty = QueryResult(frame=pd.DataFrame({"n": []}), truncated=False, elapsed_s=0.0)
    assert doubt(rows) is None
    assert doubt(rows, unasked=("2019",)) == "unasked"
    assert doubt(empty, unasked=("2019",)) == "empty"
    assert doubt(None, unasked=("2019",)) == "failed"
