"""Pulling SQL out of chat-model answers: fences, prose, thinking blocks, prefixes, JSON."""

from __future__ import annotations

import pytest

from backend.sql_extract import extract_sql

CASES: list[tuple[str, str | None]] = [
    ("```sql\nSELECT 1;\n```", "SELECT 1"),
    ("```SQL\nSELECT id\nFROM orders\n```", "SELECT id\nFROM orders"),
    ("Here you go:\n```\nSELECT a FROM t\n```\nThis returns a.", "SELECT a FROM t"),
    ("```mysql\nSELECT 2\n```", "SELECT 2"),
    ("```python\nprint('hi')\n```\n```sql\nSELECT 2\n```", "SELECT 2"),
    ("```sql\nSELECT 1\n```\nOr alternatively:\n```sql\nSELECT 2\n```", "SELECT 1"),
    ("```text\nNo query needed.\n```\n```\nSELECT 3 FROM t\n```", "SELECT 3 FROM t"),
    ("SQL: SELECT * FROM t WHERE x = 1;", "SELECT * FROM t WHERE x = 1"),
    ("**SQL:** SELECT name FROM customers", "SELECT name FROM customers"),
    ("Query:\nSELECT name FROM customers;", "SELECT name FROM customers"),
    ("<think>maybe SELECT wrong FROM x</think>\nSELECT right FROM t", "SELECT right FROM t"),
    (
        "<think>\nThe user wants totals.\n```sql\nSELECT draft\n```\n</think>\n"
        "```sql\nSELECT SUM(amount) FROM orders\n```",
        "SELECT SUM(amount) FROM orders",
    ),
    ("Okay so I think SELECT bad</think>SELECT good FROM t", "SELECT good FROM t"),
    ("<think>\nstill thinking SELECT x FROM y", None),
    (
        "SELECT id, name\nFROM customers\nWHERE city = 'Paris'",
        "SELECT id, name\nFROM customers\nWHERE city = 'Paris'",
    ),
    (
        "select name from customers where city = 'Paris'",
        "select name from customers where city = 'Paris'",
    ),
    ("Select the customers from Paris.", None),
    ("I cannot answer that with the available tables.", None),
    ("", None),
    ("   \n  ", None),
    ("```sql\nSELECT a\nFROM t\nWHERE b = 1", "SELECT a\nFROM t\nWHERE b = 1"),
    ("```SELECT 1```", "SELECT 1"),
    ("```sql SELECT 4 ```", "SELECT 4"),
    ("The query is `SELECT COUNT(*) FROM orders`.", "SELECT COUNT(*) FROM orders"),
    ('{"sql": "SELECT 3 FROM t"}', "SELECT 3 FROM t"),
    ("<sql>SELECT 5</sql>", "SELECT 5"),
    ("```sql\n-- top customers\nSELECT a FROM t; SELECT b FROM t\n```", "SELECT a FROM t"),
    ("SELECT a FROM t\n\nThis query selects a.", "SELECT a FROM t"),
    (
        "The answer:\nWITH x AS (SELECT 1 AS a) SELECT * FROM x;\nThis works.",
        "WITH x AS (SELECT 1 AS a) SELECT * FROM x",
    ),
    ("SELECT ';' AS s FROM t; DROP TABLE t", "SELECT ';' AS s FROM t"),
    ("SELECT a FROM t WHERE b = 'x -- y'; -- done", "SELECT a FROM t WHERE b = 'x -- y'"),
    ("```sql\nDELETE FROM orders\n```", "DELETE FROM orders"),
    ("Sure! Let me write it.\n\nSELECT 1 AS one;;", "SELECT 1 AS one"),
    ("```sql\nHere is the query:\nSELECT 6\n```", "SELECT 6"),
    ("(SELECT a FROM t) UNION (SELECT b FROM u)", "(SELECT a FROM t) UNION (SELECT b FROM u)"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extract_sql(text: str, expected: str | None) -> None:
    assert extract_sql(text) == expected


def test_a_chart_proposal_after_the_sql_is_found_and_does_not_disturb_the_sql() -> None:
    from backend.sql_extract import extract_chart

    reply = (
        "```sql\nSELECT country, SUM(total) AS revenue FROM orders GROUP BY country\n```\n"
        '```json\n{"kind": "bar", "x": "country", "y": "revenue", "color": null}\n```'
    )
    assert extract_sql(reply) == (
        "SELECT country, SUM(total) AS revenue FROM orders GROUP BY country"
    )
    assert extract_chart(reply) == '{"kind": "bar", "x": "country", "y": "revenue", "color": null}'
    assert extract_chart("```sql\nSELECT 1\n```") is None
    assert extract_chart('```json\n{"sql": "SELECT 1"}\n```') is None
    assert extract_chart("```json\n{not json\n```") is None
