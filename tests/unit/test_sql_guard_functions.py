"""Functions are an allow-list of each database's built-ins (security issue #18, 3).

Any other name may be a stored function or a UDF; account and server metadata functions
are refused with their own reason. tests/integration/test_sql_guard_functions_db.py
proves the same on MariaDB with a real stored function.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from backend.demo import metadata
from backend.domain import UNRESTRICTED, AccessPolicy, RowFilter
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = {"orders": ["id", "customer_id", "amount", "ordered_at", "details"]}


def check(sql: str, dialect: str = "mysql", policy: AccessPolicy = UNRESTRICTED) -> str:
    return check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=10, policy=policy).sql


UNKNOWN = [
    ("SELECT my_udf(amount) FROM orders", "MY_UDF"),
    ("SELECT `my_udf`(amount) FROM orders", "MY_UDF"),
    ("SELECT My_Udf(amount) FROM orders", "MY_UDF"),
    ("SELECT `my udf`(amount) FROM orders", "MY UDF"),
    ("SELECT `ſum_of`(amount) FROM orders", "ſum_of"),
    ("SELECT ﬁeld(amount, 1, 2) FROM orders", "ﬁeld"),  # non-ASCII: refused, not upper()ed
    ("SELECT SUM(my_udf(amount)) FROM orders", "MY_UDF"),
    ("SELECT id FROM orders ORDER BY my_udf(id)", "MY_UDF"),
    ("SELECT customer_id FROM orders GROUP BY customer_id HAVING MAX(my_udf(id)) > 1", "MY_UDF"),
    ("WITH x AS (SELECT my_udf(id) AS v FROM orders) SELECT v FROM x", "MY_UDF"),
    ("SELECT id FROM orders WHERE id IN (SELECT my_udf(id) FROM orders)", "MY_UDF"),
    ("SELECT a.id FROM orders a JOIN orders b ON my_udf(a.id) = b.id", "MY_UDF"),
    ("SELECT ROW_NUMBER() OVER (PARTITION BY my_udf(id)) FROM orders", "MY_UDF"),
    ("SELECT COALESCE(NULL, IFNULL(NULL, my_udf(1)))", "MY_UDF"),
    ("SELECT DATE_TRUNC('month', ordered_at) FROM orders", None),  # written as STR_TO_DATE
    ("SELECT REGEXP_LIKE(details, 'x', 'i') FROM orders", "REGEXP_LIKE"),  # MySQL 8 only
    ("SELECT VALUES(id) FROM orders", "VALUES"),
    ("SELECT lib_mysqludf_sys_info()", "LIB_MYSQLUDF_SYS_INFO"),
]
METADATA = [
    "USER()",
    "CURRENT_USER",
    "CURRENT_USER()",
    "current_user",
    "SESSION_USER()",
    "SYSTEM_USER()",
    "CURRENT_ROLE",
    "VERSION()",
    "CONNECTION_ID()",
    "DATABASE()",
    "SCHEMA()",
    "LAST_INSERT_ID()",
    "FOUND_ROWS()",
    "ROW_COUNT()",
    "UUID_SHORT()",
]
SIDE_EFFECTS = [
    "SLEEP(1)",
    "`Sleep`(1)",
    "BENCHMARK(10, 1)",
    "GET_LOCK('a', 0)",
    "RELEASE_LOCK('a')",
    "IS_FREE_LOCK('a')",
    "LOAD_FILE('/etc/passwd')",
    "MASTER_POS_WAIT('f', 1)",
    "NEXTVAL(s)",
    "LASTVAL(s)",
    "SETVAL(s, 1)",
    "SYS_EXEC('id')",
    "sys_eval('id')",
]
SQLITE_REFUSED = [
    "SELECT load_extension('x')",
    "SELECT randomblob(1000000000)",
    "SELECT zeroblob(10)",
    "SELECT sqlite_version()",
    "SELECT last_insert_rowid()",
    "SELECT changes()",
    "SELECT my_udf(id) FROM orders",
    "SELECT date_format(ordered_at, '%Y') FROM orders",
    "SELECT current_user",
]


@pytest.mark.parametrize(("sql", "name"), [(s, n) for s, n in UNKNOWN if n])
def test_functions_that_are_not_built_ins_are_refused_by_name(sql: str, name: str) -> None:
    with pytest.raises(SqlRejected, match=rf"The function {name}\(\) is not one of"):
        check(sql)


def test_built_ins_sqlglot_rewrites_are_judged_by_the_name_sent() -> None:
    assert "STR_TO_DATE" in check("SELECT DATE_TRUNC('month', ordered_at) FROM orders")
    assert "COALESCE" in check("SELECT IFNULL(amount, 0) FROM orders")
    assert "COALESCE" in check("SELECT NVL(amount, 0) FROM orders")  # NVL is MariaDB's only
    # sqlglot reads these as the built-ins (Python's upper()), and sends SUM and COALESCE.
    assert "SUM(amount)" in check("SELECT ſum(amount) FROM orders")
    assert "COALESCE(amount, 0)" in check("SELECT `ıfnull`(amount, 0) FROM orders")


@pytest.mark.parametrize("call", METADATA)
def test_account_and_server_metadata_functions_are_refused(call: str) -> None:
    with pytest.raises(SqlRejected, match=r"describes the database account, session or server"):
        check(f"SELECT {call}")
    with pytest.raises(SqlRejected, match=r"describes the database account"):
        check(f"SELECT id FROM orders WHERE customer_id = {call}")


@pytest.mark.parametrize("call", SIDE_EFFECTS)
def test_functions_with_side_effects_are_refused(call: str) -> None:
    with pytest.raises(SqlRejected, match=r"is not allowed in questions to the database"):
        check(f"SELECT {call}")


@pytest.mark.parametrize("sql", SQLITE_REFUSED)
def test_sqlite_refuses_functions_outside_its_allow_list(sql: str) -> None:
    with pytest.raises(SqlRejected, match=r"The function \w+\(\)"):
        check(sql, "sqlite")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT strftime('%Y', ordered_at), date(ordered_at, '+1 day'), julianday(ordered_at)"
        " FROM orders",
        "SELECT total(amount), group_concat(id, ','), printf('%.2f', amount), iif(id > 1, 1, 0)"
        " FROM orders",
        "SELECT json_extract(details, '$.a'), typeof(amount), instr(details, 'a'),"
        " substr(details, 1, 2), round(amount, 1), ifnull(amount, 0) FROM orders",
        "SELECT CURRENT_DATE, datetime('now'), unixepoch(ordered_at) FROM orders",
    ],
)
def test_sqlite_built_ins_pass(sql: str) -> None:
    assert check(sql, "sqlite")


def test_a_column_named_like_a_function_is_still_a_column() -> None:
    schema = {"accounts": ["id", "user", "version", "schema"]}
    sql = check_sql(
        "SELECT `user`, version, `schema` FROM accounts",
        schema=schema,
        dialect="mysql",
        row_limit=5,
    ).sql
    assert "version" in sql


def test_row_filter_conditions_are_held_to_the_allow_list() -> None:
    rule = AccessPolicy(row_filters=(RowFilter("orders", "customer_id = my_udf(1)"),))
    with pytest.raises(SqlRejected, match=r"MY_UDF\(\)"):
        check("SELECT id FROM orders", policy=rule)
    allowed = AccessPolicy(row_filters=(RowFilter("orders", "YEAR(ordered_at) >= 2024"),))
    assert "YEAR(" in check("SELECT id FROM orders", policy=allowed)


def _demo_sql(dialect: str) -> list[str]:
    golden = [
        json.loads(line)["gold_sql"]
        for path in sorted((ROOT / "bench" / "golden").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    examples = yaml.safe_load((ROOT / "backend/demo/examples.yaml").read_text(encoding="utf-8"))
    return golden + [e.get(f"sql_{dialect}") or e["sql"] for e in examples["examples"]]


@pytest.mark.parametrize("dialect", ["mysql", "postgresql", "sqlite"])
def test_every_golden_and_example_query_of_the_demo_passes(dialect: str) -> None:
    schema = {name: [c.name for c in table.columns] for name, table in metadata.tables.items()}
    refused = []
    for sql in _demo_sql(dialect):
        try:
            check_sql(sql, schema=schema, dialect=dialect, row_limit=1000)
        except SqlRejected as error:
            refused.append((sql, str(error)))
    assert refused == []
