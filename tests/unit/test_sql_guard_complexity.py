"""Huge or deeply nested SQL is refused cleanly, never a crash (security issue #18, 11).

sqlglot parses recursively: about forty nested brackets used to end the guard with a
RecursionError (Streamlit's error box, nothing audited). Now the length and nesting caps
refuse such SQL before parsing, long unbracketed chains are refused after it, and any
failure left inside the guard is a `SqlRejected` too.
"""

from __future__ import annotations

import pytest

from backend.config import get_settings
from backend.domain import UNRESTRICTED, AccessPolicy
from backend.errors import SqlRejected
from backend.sql_guard import SqlLimits, check_sql

SCHEMA = {"employees": ["id", "name", "salary", "dept_id"], "depts": ["dept_id", "title"]}
DENIED = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))


def nested(n: int) -> dict[str, str]:
    return {
        "brackets": "SELECT " + "(" * n + "1" + ")" * n + " FROM employees",
        "subqueries": "SELECT id FROM employees WHERE id IN "
        + "(SELECT id FROM employees WHERE id IN " * n
        + "(1)"
        + ")" * n,
        "derived tables": "SELECT * FROM " + "(SELECT * FROM " * n + "employees" + ") t" * n,
        "scalar subqueries": "SELECT " + "(SELECT " * n + "1" + ")" * n,
        "case": "SELECT " + "CASE WHEN id = 1 THEN " * n + "1" + " END" * n + " FROM employees",
        "case in brackets": "SELECT "
        + "(CASE WHEN id = 1 THEN " * n
        + "1"
        + " END)" * n
        + " FROM employees",
        "functions": "SELECT " + "ABS(" * n + "id" + ")" * n + " FROM employees",
        "aggregates": "SELECT " + "COALESCE(" * n + "MAX(id)" + ", 0)" * n + " FROM employees",
        "with": "WITH "
        + "a AS (WITH " * n
        + "b AS (SELECT 1 AS x) SELECT x FROM b"
        + ") SELECT x FROM a" * n,
        "exists": "SELECT 1 FROM employees WHERE "
        + "EXISTS (SELECT 1 FROM employees WHERE " * n
        + "1 = 1"
        + ")" * n,
    }


DEEP = [(f"{shape} x{n}", sql) for n in (40, 300) for shape, sql in nested(n).items()]
LONG_CHAINS = [
    ("or chain", "SELECT id FROM employees WHERE " + " OR ".join(f"id = {i}" for i in range(1000))),
    (
        "and chain",
        "SELECT id FROM employees WHERE " + " AND ".join(f"id <> {i}" for i in range(800)),
    ),
    ("plus chain", "SELECT " + " + ".join("id" for _ in range(2000)) + " FROM employees"),
    ("concat chain", "SELECT " + " || ".join("name" for _ in range(2000)) + " FROM employees"),
    ("not chain", "SELECT id FROM employees WHERE " + "NOT " * 2000 + "id = 1"),
    ("minus chain", "SELECT " + "- " * 3000 + "1 FROM employees"),
    (
        "union chain",
        " UNION ".join(f"SELECT name FROM employees WHERE id = {i}" for i in range(450)),
    ),
    (
        "huge in list",
        "SELECT id FROM employees WHERE id IN (" + ",".join(map(str, range(60000))) + ")",
    ),
    ("200 KB string", "SELECT '" + "x" * 200_000 + "' FROM employees"),
    ("200 KB comment", "SELECT id FROM employees /* " + "x" * 200_000 + " */"),
    ("200 KB expression", "SELECT " + "+".join(["1"] * 100_000)),
]


def check(
    sql: str, policy: AccessPolicy = UNRESTRICTED, dialect: str = "mysql", **kw: object
) -> str:
    return check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=10, policy=policy, **kw).sql  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
@pytest.mark.parametrize("policy", [UNRESTRICTED, DENIED], ids=["open", "denied"])
@pytest.mark.parametrize(
    ("shape", "sql"), DEEP + LONG_CHAINS, ids=[s for s, _ in DEEP + LONG_CHAINS]
)
def test_deep_or_huge_sql_is_refused_cleanly(
    shape: str, sql: str, policy: AccessPolicy, dialect: str
) -> None:
    with pytest.raises(SqlRejected) as caught:
        check(sql, policy, dialect)
    assert caught.value.message is not None and "{" not in caught.value.render("es")


@pytest.mark.parametrize(("shape", "sql"), list(nested(300).items()))
def test_a_stack_exhausted_past_a_raised_cap_is_still_a_refusal(shape: str, sql: str) -> None:
    # With the nesting cap set far too high, the parser runs out of stack: fail closed.
    with pytest.raises(SqlRejected):
        check(sql, limits=SqlLimits(max_depth=100_000))


def test_refusals_say_which_cap() -> None:
    with pytest.raises(SqlRejected, match=r"200,0\d\d characters long, more than the 20,000"):
        check(LONG_CHAINS[8][1])
    with pytest.raises(SqlRejected, match=r"more than 25 levels deep"):
        check(nested(26)["brackets"])
    with pytest.raises(SqlRejected, match=r"too complex to check"):
        check(LONG_CHAINS[0][1])


LEGIT = [
    nested(24)["brackets"],
    nested(12)["case in brackets"],
    nested(8)["subqueries"],
    nested(10)["functions"],
    "SELECT id FROM employees WHERE " + " OR ".join(f"dept_id = {i}" for i in range(150)),
    "SELECT id FROM employees WHERE id IN (" + ",".join(map(str, range(3000))) + ")",
    "SELECT "
    + ", ".join(f"SUM(CASE WHEN dept_id = {i} THEN 1 ELSE 0 END) AS d{i}" for i in range(300))
    + " FROM employees",
    "SELECT name FROM employees WHERE name = '" + "(" * 500 + "CASE" * 100 + "'",
    "SELECT name FROM employees -- " + "(" * 500,
]


@pytest.mark.parametrize("sql", LEGIT, ids=range(len(LEGIT)))
@pytest.mark.parametrize("policy", [UNRESTRICTED, DENIED], ids=["open", "denied"])
def test_long_but_reasonable_queries_pass(sql: str, policy: AccessPolicy) -> None:
    assert len(sql) <= 20_000 and check(sql, policy)


def test_the_caps_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQL_MAX_LENGTH", "1000")
    monkeypatch.setenv("SQL_MAX_DEPTH", "5")
    get_settings.cache_clear()
    with pytest.raises(SqlRejected, match="more than the 1,000"):
        check("SELECT id FROM employees WHERE name = '" + "x" * 1000 + "'")
    with pytest.raises(SqlRejected, match="more than 5 levels"):
        check(nested(6)["functions"])
    assert check(nested(5)["functions"])
    get_settings.cache_clear()


def test_an_unexpected_failure_inside_the_guard_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import backend.sql_guard as guard

    def broken(*args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(guard, "check_columns", broken)
    with pytest.raises(SqlRejected, match=r"could not be checked \(KeyError\)"):
        check("SELECT id FROM employees")
