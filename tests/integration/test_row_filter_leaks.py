"""Row filters on real MariaDB: a user's expressions never run on rows the filter hides.

Two databases hold the same visible rows (region 3); one also holds hidden rows (region 4)
built to make each payload fail, warn or change its result if an expression ever sees
them: a note that is not a number, an amount whose EXP overflows, broken JSON, a broken
REGEXP pattern, a note that makes a scalar subquery return two rows. The row filter holds
when every observable outcome (rows, error code and text, warnings) is the same on both —
the user learns nothing about rows that might as well not exist. Errors and warnings are
how a value leaks, and whether there is an error is a yes/no oracle. Timing is proven
without timing anything: MariaDB's ANALYZE counts the rows a heavy expression ran on, and
an expression that never runs on a hidden row cannot be timed on it.

Each layer is proven alone: the guard's SQL on a session with MariaDB's default optimizer
switches, and the runner's session switches on SQL without the guard's LIMIT. A control
shows the harness sees the leak when both are missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest
import sqlalchemy as sa

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.domain import AccessPolicy, RowFilter
from backend.errors import QueryFailed
from backend.sql_guard import check_sql
from backend.sql_guard.row_filters import UNMERGEABLE_LIMIT
from tests.support.mariadb import scratch_database

pytestmark = pytest.mark.mariadb

SCHEMA = {
    "customers": ["id", "name", "region_id", "email"],
    "orders": ["id", "customer_id", "region_id", "amount", "note", "doc", "pat"],
    "regions": ["id", "name"],
}
POLICY = AccessPolicy(
    row_filters=(
        RowFilter("orders", "region_id = :user.region_id"),
        RowFilter("customers", "region_id = :user.region_id"),
    )
)
USER = {"region_id": "3"}

CREATE = [
    "CREATE TABLE regions (id INT PRIMARY KEY, name VARCHAR(20))",
    "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20), region_id VARCHAR(5),"
    " email VARCHAR(50))",
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, region_id VARCHAR(5),"
    " amount DECIMAL(10,2), note VARCHAR(30), doc VARCHAR(30), pat VARCHAR(10))",
    "INSERT INTO regions VALUES (1, 'North'), (2, 'South'), (3, 'East'), (4, 'West')",
]
VISIBLE = [
    "INSERT INTO customers VALUES (1, 'Ana', '3', 'ana@x.es'), (4, 'Dan', '3', 'dan@x.es')",
    "INSERT INTO orders VALUES (1, 1, '3', 10, 'ok', '{\"a\": 1}', 'a'),"
    " (4, 4, '3', 12, 'fine', '{\"a\": 2}', 'b'), (6, 1, '3', 14, 'good', '{\"a\": 3}', 'c')",
]
HIDDEN = [
    "INSERT INTO customers VALUES (2, 'Bob', '4', 'bob@secret.es'),"
    " (3, 'Cid', '4', 'cid@secret.es')",
    "INSERT INTO orders VALUES (2, 2, '4', 20000, 'secret1', 'secret{', '('),"
    " (3, 3, '4', 900, 'secret2', '[1,', '[x'), (5, 2, '4', 30, 'ok', '{\"a\": 9}', 'a')",
]
HIDDEN_VALUES = re.compile(r"secret|(?<![\d.])(?:20000|900)(?![\d])")

# Each would fail, warn or return something else if it ran on a hidden row.
PAYLOADS = [
    # WHERE: scalar subquery with two rows, conversion, overflow, JSON, REGEXP, 1/0
    "SELECT o.id FROM orders o WHERE (SELECT r.id FROM regions r WHERE o.note LIKE 'secret%') > 0",
    "SELECT o.id FROM orders o WHERE CAST(o.note AS SIGNED) = 0",
    "SELECT o.id FROM orders o WHERE EXP(o.amount) > 0",
    "SELECT o.id FROM orders o WHERE JSON_EXTRACT(o.doc, '$.a') IS NOT NULL",
    "SELECT o.id FROM orders o WHERE JSON_LENGTH(o.doc) > 0",
    "SELECT o.id FROM orders o WHERE 'x' REGEXP o.pat",
    "SELECT o.id FROM orders o WHERE CASE WHEN o.note = 'secret1' THEN 1 / 0 ELSE 1 END = 1",
    "SELECT o.id FROM orders o WHERE o.note = 0",
    "SELECT o.id FROM orders o WHERE o.note = 'secret1' AND CAST(o.note AS SIGNED) = 0",
    "SELECT id FROM orders WHERE amount * 1e306 * 1e306 > 0 OR note = 'x'",
    # JOIN ... ON, two filtered tables, LEFT JOIN
    "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id"
    " AND CAST(c.email AS SIGNED) = 0",
    "SELECT o.id FROM orders o JOIN customers c"
    " ON (SELECT r.id FROM regions r WHERE c.email LIKE '%secret%') = o.id",
    "SELECT c.id, o.id FROM customers c LEFT JOIN orders o"
    " ON o.customer_id = c.id AND o.note + 0 = 0",
    "SELECT o.id FROM orders o, customers c WHERE o.customer_id = c.id AND EXP(o.amount) > 0",
    # HAVING, SELECT list, ORDER BY, GROUP BY, windows, aggregates
    "SELECT o.customer_id, SUM(o.amount) FROM orders o GROUP BY o.customer_id"
    " HAVING EXP(MAX(o.amount)) > 0",
    "SELECT EXP(o.amount) FROM orders o",
    "SELECT o.id FROM orders o ORDER BY (SELECT r.id FROM regions r WHERE o.note LIKE 'secret%')",
    "SELECT COUNT(*), CONCAT(o.note, FLOOR(RAND(0) * 2)) AS k FROM orders o GROUP BY k",
    "SELECT COUNT(*) FROM orders o GROUP BY CAST(o.note AS SIGNED)",
    "SELECT id, SUM(EXP(amount)) OVER () FROM orders",
    "SELECT SUM(CAST(note AS DECIMAL(10, 2))) FROM orders",
    "SELECT MAX(JSON_VALUE(doc, '$.a')) FROM orders",
    # correlated and IN subqueries, CTEs, the user's own derived tables, UNION
    "SELECT c.name FROM customers c WHERE EXISTS"
    " (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND EXP(o.amount) > 0)",
    "SELECT c.id FROM customers c WHERE c.id IN"
    " (SELECT o.customer_id FROM orders o WHERE EXP(o.amount) > 0)",
    "SELECT c.id, (SELECT MAX(EXP(o.amount)) FROM orders o WHERE o.customer_id = c.id)"
    " FROM customers c",
    "SELECT (SELECT MAX(EXP(o.amount)) FROM orders o) AS m",
    "WITH x AS (SELECT * FROM orders) SELECT id FROM x WHERE EXP(x.amount) > 0",
    "WITH x AS (SELECT id, note FROM orders WHERE CAST(note AS SIGNED) = 0) SELECT * FROM x",
    "WITH x AS (SELECT customer_id, amount FROM orders)"
    " SELECT c.id FROM customers c JOIN x ON x.customer_id = c.id WHERE 'x' REGEXP c.email",
    "SELECT t.id FROM (SELECT id, amount FROM orders) t WHERE EXP(t.amount) > 0",
    "SELECT t.id FROM (SELECT o.id, o.note FROM orders o JOIN customers c"
    " ON c.id = o.customer_id) t WHERE t.note = 0",
    "SELECT id FROM orders WHERE EXP(amount) > 0"
    " UNION SELECT id FROM customers WHERE CAST(email AS SIGNED) = 0",
]
# The payloads that leaked on MariaDB 10.11 before the fix (WHERE, ON, correlated and IN
# subqueries, CTEs, derived tables, UNION); HAVING, the SELECT list and ORDER BY ran after
# the filter even then. The control proves the harness sees each of these leaks.
LEAKY_WITHOUT_FIX = [
    PAYLOADS[i] for i in (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 22, 23, 26, 27, 29, 30, 31)
]


def _database(server: str, statements: list[str]) -> Iterator[str]:
    with scratch_database(server) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in [*CREATE, *statements]:
                conn.exec_driver_sql(statement)
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def full_url(mysql_server_url: str) -> Iterator[str]:
    yield from _database(mysql_server_url, [*VISIBLE, *HIDDEN])


@pytest.fixture(scope="module")
def visible_url(mysql_server_url: str) -> Iterator[str]:
    yield from _database(mysql_server_url, VISIBLE)


def guarded(sql: str) -> str:
    return check_sql(
        sql, schema=SCHEMA, dialect="mysql", row_limit=1000, policy=POLICY, user_attributes=USER
    ).sql


def without_limit(sql: str) -> str:
    """The guard's SQL as it was before the fix: a mergeable derived table."""
    return sql.replace(f" LIMIT {UNMERGEABLE_LIMIT}", "")


def observe(url: str, sql: str) -> tuple[Any, ...]:
    """Everything a user could learn from running `sql` on a fresh, default session."""
    parts = sa.make_url(url)
    conn = pymysql.connect(
        host=parts.host,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        database=parts.database,
    )
    try:
        with conn.cursor() as cursor:
            try:
                cursor.execute(sql)
                # Sorted: ties in ORDER BY (or none) may come back in any order.
                outcome: tuple[Any, ...] = ("ok", tuple(sorted(cursor.fetchall(), key=repr)))
            except pymysql.MySQLError as exc:
                outcome = ("error", *exc.args)
            cursor.execute("SHOW WARNINGS")
            return (*outcome, tuple(cursor.fetchall()))
    finally:
        conn.close()


@pytest.mark.parametrize("sql", PAYLOADS)
def test_guarded_sql_shows_nothing_of_hidden_rows(
    sql: str, full_url: str, visible_url: str
) -> None:
    checked = guarded(sql)
    seen = observe(full_url, checked)
    assert seen == observe(visible_url, checked)
    assert not HIDDEN_VALUES.search(repr(seen))


@pytest.mark.parametrize("sql", PAYLOADS)
def test_runner_session_alone_keeps_filter_first(sql: str, full_url: str, visible_url: str) -> None:
    """The runner's optimizer switches close the leak even for a mergeable derived table."""
    unfixed = without_limit(guarded(sql))

    def outcome(url: str) -> object:
        engine = create_database_engine(url)
        try:
            result = SqlAlchemySqlRunner(engine, timeout_s=5).run(unfixed, row_limit=1000)
            return sorted(map(repr, result.frame.itertuples(index=False)))
        except QueryFailed as exc:
            return str(exc)
        finally:
            engine.dispose()

    assert outcome(full_url) == outcome(visible_url)


@pytest.mark.parametrize("sql", LEAKY_WITHOUT_FIX)
def test_control_mergeable_filter_leaks_on_a_default_session(
    sql: str, full_url: str, visible_url: str
) -> None:
    """Without the LIMIT and the session switches, the same payload tells hidden rows apart."""
    unfixed = without_limit(guarded(sql))
    assert observe(full_url, unfixed) != observe(visible_url, unfixed)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT o.id FROM orders o WHERE o.amount > 1",
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = 1",
        "SELECT c.id FROM customers c WHERE c.id IN (SELECT customer_id FROM orders)",
        "WITH x AS (SELECT * FROM orders) SELECT COUNT(*) FROM x",
    ],
)
def test_explain_shows_the_filtered_table_materialised(sql: str, full_url: str) -> None:
    """EXPLAIN: each filtered read is a DERIVED table whose only condition is the filter."""
    checked = guarded(sql)
    engine = create_database_engine(full_url)
    try:
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"EXPLAIN FORMAT=JSON {checked}").scalar_one()
            rows = conn.exec_driver_sql(f"EXPLAIN {checked}").mappings().all()
    finally:
        engine.dispose()
    derived = [row for row in rows if row["select_type"] == "DERIVED"]
    assert derived, rows
    assert {row["table"] for row in derived} <= {"orders", "customers"}
    assert '"materialized"' in plan
    for condition in re.findall(r'"attached_condition": "([^"]*)"', plan):
        if "orders." in condition or "customers." in condition:
            assert condition in {"orders.region_id = '3'", "customers.region_id = '3'"}


HEAVY = [
    "SELECT o.id FROM orders o WHERE SHA2(REPEAT(o.note, 100), 512) <> ''",
    "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id"
    " AND SHA2(REPEAT(c.email, 100), 512) <> ''",
    "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM orders o"
    " WHERE o.customer_id = c.id AND SHA2(REPEAT(o.note, 100), 512) <> '')",
    "WITH x AS (SELECT * FROM orders) SELECT id FROM x WHERE SHA2(REPEAT(x.note, 100), 512) <> ''",
]


def _tables(plan: object) -> Iterator[dict[str, Any]]:
    if isinstance(plan, dict):
        if "table_name" in plan:
            yield plan
        for value in plan.values():
            yield from _tables(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _tables(value)


def heavy_evaluations(url: str, sql: str) -> int:
    """How many rows the user's heavy expression ran on (ANALYZE runs the query)."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as conn:
            plan = json.loads(conn.exec_driver_sql(f"ANALYZE FORMAT=JSON {sql}").scalar_one())
    finally:
        engine.dispose()
    return sum(
        int(t.get("r_rows", 0) * t.get("r_loops", 1))
        for t in _tables(plan)
        if "sha2" in t.get("attached_condition", "")
    )


@pytest.mark.parametrize("sql", HEAVY)
def test_a_heavy_expression_never_runs_on_a_hidden_row(sql: str, full_url: str) -> None:
    """No timing channel: the expression runs on visible rows only (3 orders, 2 customers)."""
    checked = guarded(sql)
    ran = heavy_evaluations(full_url, checked)
    assert 0 < ran <= 3
    assert heavy_evaluations(full_url, without_limit(checked)) > ran  # the control
