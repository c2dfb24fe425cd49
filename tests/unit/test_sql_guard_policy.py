"""Access policies in the SQL guard: forbidden tables and denied columns, in every SQL shape.

The role below may not see `employees.salary`, `employees.ssn` or the `audit_log` table.
`payroll.salary` is a different column of an allowed table and stays readable.
"""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, CheckedSql
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

SCHEMA: dict[str, list[str]] = {
    "employees": ["id", "name", "dept_id", "salary", "ssn"],
    "departments": ["id", "name", "budget"],
    "payroll": ["emp_id", "salary", "paid_on"],
    "orders": ["id", "amount"],
    "audit_log": ["id", "action", "actor"],
}
POLICY = AccessPolicy(
    allowed_tables=frozenset({"employees", "departments", "payroll", "orders"}),
    denied_columns=frozenset({("employees", "salary"), ("employees", "ssn")}),
)


def guard(sql: str, policy: AccessPolicy = POLICY) -> CheckedSql:
    return check_sql(sql, schema=SCHEMA, dialect="mysql", row_limit=50, policy=policy)


SALARY = "reads employees.salary, which your role can't see"
SSN = "reads employees.ssn, which your role can't see"
STAR = "SELECT * on employees would read employees.salary"
AUDIT = "reads the table audit_log, which your role can't see"
UNRESOLVED = "could not be resolved"

FORBIDDEN: list[tuple[str, str]] = [
    ("SELECT salary FROM employees", SALARY),
    ("SELECT name, salary FROM employees", SALARY),
    ("SELECT SALARY FROM EMPLOYEES", SALARY),
    ("SELECT `salary` FROM `employees`", SALARY),
    ("SELECT Employees.Salary FROM Employees", SALARY),
    ("SELECT e.salary AS pay FROM employees e", SALARY),
    ("SELECT * FROM employees", STAR),
    ("SELECT e.* FROM employees e", STAR),
    ("SELECT e.*, d.name FROM employees e JOIN departments d ON d.id = e.dept_id", STAR),
    ("SELECT * FROM employees e JOIN departments d ON d.id = e.dept_id", STAR),
    ("SELECT * FROM departments d JOIN employees e ON d.id = e.dept_id", STAR),
    ("SELECT s FROM (SELECT salary AS s FROM employees) x", SALARY),
    ("SELECT x.salary FROM (SELECT * FROM employees) x", STAR),
    ("SELECT sub.name FROM (SELECT * FROM employees) AS sub", STAR),
    ("SELECT x.* FROM (SELECT name, salary FROM employees) x", SALARY),
    ("WITH p AS (SELECT name, salary FROM employees) SELECT name FROM p", SALARY),
    ("WITH p AS (SELECT * FROM employees) SELECT name FROM p", STAR),
    ("SELECT name FROM employees WHERE salary > 100000", SALARY),
    ("SELECT name FROM employees WHERE ssn LIKE '1%'", SSN),
    ("SELECT dept_id FROM employees GROUP BY dept_id HAVING AVG(salary) > 5", SALARY),
    ("SELECT name FROM employees ORDER BY salary DESC", SALARY),
    ("SELECT name FROM employees GROUP BY name, salary", SALARY),
    ("SELECT dept_id, SUM(salary) FROM employees GROUP BY dept_id", SALARY),
    ("SELECT COUNT(salary) FROM employees", SALARY),
    ("SELECT COUNT(DISTINCT salary) FROM employees", SALARY),
    ("SELECT MAX(e.salary) FROM employees e, departments d WHERE e.dept_id = d.id", SALARY),
    ("SELECT GROUP_CONCAT(name ORDER BY salary) FROM employees", SALARY),
    ("SELECT CASE WHEN salary > 10 THEN 'high' END AS band FROM employees", SALARY),
    ("SELECT name, RANK() OVER (ORDER BY salary DESC) FROM employees", SALARY),
    ("SELECT name, SUM(salary) OVER (PARTITION BY dept_id) FROM employees", SALARY),
    ("SELECT e.name FROM employees e JOIN employees e2 ON e2.salary > e.salary", SALARY),
    ("SELECT e.name FROM employees e JOIN payroll p USING (salary)", "joins on employees.salary"),
    ("SELECT name FROM employees NATURAL JOIN payroll", SALARY),
    ("SELECT name FROM employees UNION SELECT CAST(salary AS CHAR) FROM employees", SALARY),
    ("SELECT name FROM departments UNION ALL SELECT ssn FROM employees", SSN),
    (
        "SELECT d.name, (SELECT MAX(salary) FROM employees e WHERE e.dept_id = d.id) AS top "
        "FROM departments d",
        SALARY,
    ),
    (
        "SELECT name FROM departments d WHERE EXISTS "
        "(SELECT 1 FROM employees e WHERE e.dept_id = d.id AND e.salary > 1)",
        SALARY,
    ),
    ("SELECT name FROM employees WHERE id IN (SELECT id FROM employees WHERE salary > 5)", SALARY),
    ("SELECT name FROM employees e WHERE (SELECT e.salary) > 0", SALARY),
    (
        "SELECT e.name FROM employees e JOIN "
        "(SELECT dept_id, MAX(salary) AS m FROM employees GROUP BY dept_id) x "
        "ON x.dept_id = e.dept_id",
        SALARY,
    ),
    # an alias may not shadow a denied column: engines resolve such names differently
    ("SELECT name AS salary FROM employees ORDER BY salary", "alias salary has the name"),
    ("SELECT name AS Salary, COUNT(*) FROM employees GROUP BY Salary", "alias Salary"),
    ("SELECT x.salary FROM (SELECT name FROM employees) AS x(salary)", "alias salary"),
    ("WITH c (ssn) AS (SELECT name FROM employees) SELECT ssn FROM c", "alias ssn"),
    # ambiguous or unknown unqualified columns never slip through
    ("SELECT salary FROM employees JOIN payroll ON emp_id = employees.id", UNRESOLVED),
    ("SELECT name FROM employees, departments", UNRESOLVED),
    ("SELECT salry FROM employees", UNRESOLVED),
    # forbidden table, wherever it is read
    ("SELECT * FROM audit_log", AUDIT),
    ("SELECT * FROM AUDIT_LOG", AUDIT),
    ("SELECT e.name FROM employees e JOIN audit_log a ON a.actor = e.name", AUDIT),
    ("WITH x AS (SELECT * FROM audit_log) SELECT 1 FROM x", AUDIT),
    ("SELECT (SELECT COUNT(*) FROM audit_log) AS n", AUDIT),
    ("SELECT name FROM departments UNION SELECT action FROM audit_log", AUDIT),
]


# EXISTS ignores what its query selects, except where a set operation, GROUP BY position
# or HAVING makes the selected value decide whether a row exists: an exact-value oracle.
EXISTS_ORACLES = [
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary INTERSECT SELECT 5200)",
    "SELECT e.name FROM employees e WHERE NOT EXISTS (SELECT e.salary EXCEPT SELECT 5200)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.ssn INTERSECT SELECT '1')",
    "SELECT 1 WHERE EXISTS (SELECT salary FROM employees WHERE id = 1 INTERSECT SELECT 5200)",
    "SELECT 1 WHERE EXISTS (SELECT salary FROM employees WHERE id = 1 EXCEPT SELECT 5200)",
    "SELECT 1 WHERE EXISTS (SELECT salary FROM employees INTERSECT ALL SELECT 5200)",
    "SELECT 1 WHERE EXISTS ((SELECT salary FROM employees) INTERSECT (SELECT 5200))",
    "SELECT 1 WHERE EXISTS (SELECT * FROM employees INTERSECT SELECT 1, 'a', 1, 5200, '1')",
    "SELECT 1 WHERE EXISTS (SELECT e.* FROM employees e INTERSECT SELECT 1, 'a', 1, 5, '1')",
    "SELECT 1 WHERE EXISTS (SELECT 5200 EXCEPT SELECT salary FROM employees)",
    "SELECT e.name FROM employees e WHERE EXISTS "
    "(SELECT e2.salary FROM employees e2 WHERE e2.id = e.id INTERSECT SELECT 5200)",
    "SELECT 1 WHERE EXISTS (SELECT salary FROM employees GROUP BY 1 HAVING COUNT(*) > 1)",
    "SELECT 1 WHERE EXISTS (SELECT salary AS s FROM employees HAVING s > 5000)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary > 5000 AS b HAVING b)",
    "SELECT 1 WHERE EXISTS (SELECT salary FROM employees UNION SELECT 1)",
    "SELECT name FROM departments WHERE EXISTS (SELECT ssn FROM employees INTERSECT SELECT '123')",
]


# A projection neither aliased nor a plain column has a name sqlglot and the database do
# not agree on (`CAST('salary' AS CHAR)`: "salary" for sqlglot): a reference by that name
# must resolve as the database resolves it, to employees.salary.
IMPLICIT_NAMES = [
    "SELECT (SELECT salary FROM (SELECT CAST('salary' AS CHAR)) d) FROM employees",
    "SELECT (SELECT ssn FROM (SELECT CAST('ssn' AS CHAR)) d) FROM employees",
    "SELECT (SELECT salary FROM (SELECT CONVERT('salary', CHAR)) d) FROM employees",
    "SELECT (SELECT salary FROM (SELECT BINARY 'salary') d) FROM employees",
    "SELECT (SELECT salary FROM (SELECT ('salary')) d) FROM employees",
    "SELECT (SELECT salary FROM (SELECT 'salary' COLLATE utf8mb4_bin) d) FROM employees",
    "SELECT (SELECT salary FROM (SELECT CAST('salary' AS CHAR) UNION SELECT 1) d) FROM employees",
    "SELECT (SELECT MAX(salary) FROM (SELECT CAST('salary' AS CHAR)) d) FROM employees",
    "WITH d AS (SELECT CAST('salary' AS CHAR)) SELECT (SELECT salary FROM d) FROM employees",
    "SELECT e.name FROM employees e WHERE EXISTS "
    "(SELECT 1 FROM (SELECT CAST('salary' AS CHAR)) d WHERE salary = 5200)",
    "SELECT e.name FROM employees e JOIN (SELECT CAST('salary' AS CHAR)) d ON salary > 5",
    "SELECT name, CAST('salary' AS CHAR) FROM employees ORDER BY salary",
    "SELECT name, 'salary' FROM employees ORDER BY salary",
    "SELECT name, CAST('salary' AS CHAR) FROM employees GROUP BY name, salary",
    "SELECT name, CAST('ssn' AS CHAR) FROM employees HAVING ssn LIKE '1%'",
]


@pytest.mark.parametrize("sql", IMPLICIT_NAMES)
def test_a_reference_to_an_implicit_name_like_a_denied_column_is_refused(sql: str) -> None:
    with pytest.raises(SqlRejected) as caught:
        guard(sql)
    assert "can't see" in str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT d.* FROM (SELECT UPPER(name) FROM employees) d",
        "SELECT * FROM (SELECT dept_id, COUNT(*) FROM employees GROUP BY dept_id) d",
        "SELECT dept_id, COUNT(*) FROM employees GROUP BY 1 ORDER BY 2 DESC",
        "SELECT dept_id, COUNT(*) FROM employees GROUP BY dept_id ORDER BY COUNT(*) DESC",
        "SELECT x.n FROM (SELECT UPPER(name) AS n FROM employees) x",
        "SELECT name, 'x' FROM employees ORDER BY name",
    ],
)
def test_implicit_names_that_nothing_refers_to_still_pass(sql: str) -> None:
    guard(sql)


# MariaDB and MySQL on Linux tell table names and aliases apart by case; the column check
# compares them lower-cased. Two sources whose names differ only in case are refused.
SOURCE_NAME_CASE = [
    "SELECT (SELECT e.salary FROM payroll E LIMIT 1) FROM employees e",
    "SELECT (SELECT E.salary FROM payroll e LIMIT 1) FROM employees E",
    "SELECT (SELECT MAX(e.ssn) FROM orders E) FROM employees e",
    "SELECT e.salary FROM employees e JOIN payroll E ON 1 = 1",
    "SELECT E.salary FROM payroll e JOIN employees E ON 1 = 1",
    "SELECT e.salary FROM employees e JOIN (SELECT p.salary FROM payroll p) E ON 1 = 1",
    "SELECT employees.salary FROM payroll AS EMPLOYEES JOIN employees ON 1 = 1",
    "SELECT Employees.salary FROM employees JOIN payroll AS EMPLOYEES ON 1 = 1",
    "WITH P AS (SELECT salary FROM payroll) SELECT p.salary FROM employees p JOIN P ON 1 = 1",
    "SELECT name FROM employees e WHERE EXISTS (SELECT 1 FROM payroll E WHERE e.salary > 5)",
    "SELECT name FROM employees e WHERE e.id IN (SELECT E.emp_id FROM payroll E"
    " WHERE e.salary > 5)",
    "SELECT x.n FROM (SELECT e.name AS n FROM employees e) x JOIN payroll X ON 1 = 1",
]


@pytest.mark.parametrize("sql", SOURCE_NAME_CASE)
def test_sources_named_alike_but_for_case_are_refused(sql: str) -> None:
    with pytest.raises(SqlRejected) as caught:
        guard(sql)
    assert "differ only in upper and lower case" in str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT (SELECT MAX(p.salary) FROM payroll p) FROM employees e",
        "SELECT (SELECT e.salary FROM payroll e LIMIT 1) FROM employees x",
        "SELECT E.name FROM employees E JOIN payroll P ON P.emp_id = E.id",
        "SELECT name FROM Employees",
    ],
)
def test_sources_with_distinct_names_still_pass(sql: str) -> None:
    guard(sql)


@pytest.mark.parametrize("sql", EXISTS_ORACLES)
def test_denied_column_in_an_exists_query_is_refused(sql: str) -> None:
    with pytest.raises(SqlRejected) as caught:
        guard(sql)
    assert "can't see" in str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name FROM employees e WHERE EXISTS (SELECT * FROM employees e2 WHERE e2.id = e.id)",
        "SELECT name FROM employees e WHERE EXISTS ((SELECT * FROM employees e2 WHERE e2.id = 1))",
        "SELECT name FROM employees e WHERE EXISTS (SELECT e.*, 1)",
        "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.name INTERSECT SELECT 'Ann')",
        "SELECT 1 WHERE EXISTS (SELECT dept_id FROM employees GROUP BY 1 HAVING COUNT(*) > 1)",
        "SELECT 1 WHERE EXISTS (SELECT p.salary FROM payroll p INTERSECT SELECT 5200)",
    ],
)
def test_exists_queries_over_allowed_columns_still_pass(sql: str) -> None:
    guard(sql)


@pytest.mark.parametrize(("sql", "reason"), FORBIDDEN)
def test_policy_rejects_forbidden_reads(sql: str, reason: str) -> None:
    with pytest.raises(SqlRejected) as caught:
        guard(sql)
    assert reason.lower() in str(caught.value).lower()


ALLOWED: list[str] = [
    "SELECT name, dept_id FROM employees",
    "SELECT COUNT(*) FROM employees",
    "SELECT dept_id, COUNT(*) AS n FROM employees GROUP BY dept_id HAVING n > 2 ORDER BY n",
    "SELECT d.* FROM departments d JOIN employees e ON e.dept_id = d.id",
    "SELECT * FROM departments",
    "SELECT 'salary' AS label FROM employees",
    "SELECT name FROM employees e WHERE EXISTS (SELECT * FROM employees e2 WHERE e2.id = e.id)",
    "SELECT name FROM employees WHERE EXISTS (SELECT * FROM departments d WHERE d.id = dept_id)",
    "WITH c AS (SELECT dept_id, COUNT(*) AS n FROM employees GROUP BY dept_id) SELECT * FROM c",
    "SELECT x.* FROM (SELECT id, name FROM employees) x",
    "SELECT COUNT(*) FROM (SELECT id FROM employees) x",
    "SELECT p.salary FROM payroll p",
    "SELECT e.name, p.salary FROM employees e JOIN payroll p ON p.emp_id = e.id",
    "SELECT name FROM employees UNION SELECT name FROM departments",
    "SELECT name, ROW_NUMBER() OVER (PARTITION BY dept_id ORDER BY name) AS rn FROM employees",
    "SELECT e.name FROM employees e JOIN departments d USING (id)",
    "SELECT * FROM orders",
    "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n",
    "SELECT d.name, x.c FROM departments d JOIN "
    "(SELECT dept_id, COUNT(*) AS c FROM employees GROUP BY dept_id) x ON x.dept_id = d.id",
    "SELECT UPPER(name) AS n FROM employees ORDER BY n",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_policy_allows_permitted_reads(sql: str) -> None:
    assert guard(sql).sql.startswith(("SELECT", "WITH"))


def test_policy_message_names_table_and_column() -> None:
    with pytest.raises(SqlRejected, match=r"^That query reads employees\.salary, which your role"):
        guard("SELECT SUM(salary) FROM employees")


def test_policy_star_message_lists_the_allowed_columns() -> None:
    with pytest.raises(SqlRejected) as caught:
        guard("SELECT * FROM employees")
    assert "list the columns you need instead (allowed: id, name, dept_id)" in str(caught.value)


def test_policy_keeps_the_users_column_headers() -> None:
    checked = guard("SELECT name, COUNT(*) FROM employees GROUP BY name")
    assert checked.sql == "SELECT name, COUNT(*) FROM employees GROUP BY name LIMIT 50"


def test_unknown_table_hint_never_names_a_forbidden_table() -> None:
    with pytest.raises(SqlRejected) as caught:
        guard("SELECT * FROM audit_logs")
    assert "audit_log" not in str(caught.value).replace("audit_logs", "")


def test_unrestricted_policy_allows_every_column() -> None:
    checked = guard("SELECT * FROM employees", policy=AccessPolicy())
    assert checked.sql == "SELECT * FROM employees LIMIT 50"


def test_denied_columns_only_checked_for_the_tables_that_have_them() -> None:
    # No guarded table read: the column analysis does not run, so an ambiguous column is
    # left for the database to report.
    assert guard("SELECT id FROM orders JOIN departments ON 1 = 1").tables == frozenset(
        {"orders", "departments"}
    )


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM employees", STAR),
        ('SELECT "salary" FROM employees', SALARY),
        ("SELECT [salary] FROM employees", SALARY),
        ("SELECT e.name FROM employees e WHERE e.ssn GLOB '1*'", SSN),
        ("SELECT name || salary AS label FROM employees", SALARY),
    ],
)
def test_policy_applies_to_sqlite_queries(sql: str, reason: str) -> None:
    with pytest.raises(SqlRejected) as caught:
        check_sql(sql, schema=SCHEMA, dialect="sqlite", row_limit=50, policy=POLICY)
    assert reason.lower() in str(caught.value).lower()
