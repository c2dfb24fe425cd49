"""Only the database's own built-in functions can be called (security issue #18, 3).

A stored function is created on a scratch MariaDB database; unguarded it reads the
salaries the policy hides, and every spelling of a call to it is refused by the guard,
as are the account/server metadata functions. The built-ins business questions use still
pass the guard and run on MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator

import pymysql
import pytest
import sqlalchemy as sa

from backend.dialects import MYSQL
from backend.domain import AccessPolicy
from backend.errors import SqlRejected
from backend.sql_guard.functions import ALLOWED
from tests.support.guard_db import guard_for, rows, seeded_engine

pytestmark = pytest.mark.mariadb

SCHEMA = {
    "employees": ["id", "name", "salary", "dept_id", "hired_on", "profile"],
    "depts": ["dept_id", "title"],
}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))
DDL = [
    "CREATE TABLE employees (id INT PRIMARY KEY, name VARCHAR(40), salary INT, dept_id INT,"
    " hired_on DATE, profile TEXT)",
    "INSERT INTO employees VALUES (1, 'Ann', 5000, 1, '2024-01-15', '{\"city\": \"Bilbao\"}'),"
    " (2, 'Bob', 7000, 2, '2024-03-02', '{\"city\": \"Vigo\"}')",
    "CREATE TABLE depts (dept_id INT PRIMARY KEY, title VARCHAR(40))",
    "INSERT INTO depts VALUES (1, 'Sales'), (2, 'Ops')",
    # A definer's-rights function, as a DBA might have written it for a report.
    "CREATE FUNCTION kk_pay(emp INT) RETURNS INT READS SQL DATA SQL SECURITY DEFINER"
    " RETURN (SELECT salary FROM employees WHERE id = emp)",
    # Named like a built-in: MariaDB warns (1585) and always calls its own function.
    "CREATE FUNCTION md5(x TEXT) RETURNS INT RETURN 42",
]

STORED_CALLS = [
    "SELECT name, kk_pay(id) AS p FROM employees",
    "SELECT name, `kk_pay`(id) AS p FROM employees",
    "SELECT name, KK_PAY(id) AS p FROM employees",
    "SELECT name, Kk_Pay(id) AS p FROM employees",
    "SELECT name, kk_pay (id) AS p FROM employees",
    "SELECT name, kk_pay/* hidden */(id) AS p FROM employees",
    "SELECT SUM(kk_pay(id)) AS total FROM employees",
    "SELECT MAX(COALESCE(kk_pay(id), 0)) AS top FROM employees",
    "SELECT name FROM employees ORDER BY kk_pay(id) DESC",
    "SELECT dept_id FROM employees GROUP BY dept_id HAVING MAX(kk_pay(id)) > 6000",
    "SELECT e.name FROM employees e JOIN depts d ON d.dept_id = e.dept_id AND kk_pay(e.id) > 6000",
    "WITH x AS (SELECT id, kk_pay(id) AS p FROM employees) SELECT id, p FROM x",
    "SELECT name FROM employees WHERE id IN (SELECT id FROM employees WHERE kk_pay(id) > 6000)",
    "SELECT name, (SELECT kk_pay(e.id)) AS p FROM employees e",
    "SELECT name FROM (SELECT name, kk_pay(id) AS p FROM employees) t WHERE t.p > 6000",
    "SELECT name, CASE WHEN kk_pay(id) > 6000 THEN 'high' ELSE 'low' END AS band FROM employees",
    "SELECT name, RANK() OVER (ORDER BY kk_pay(id)) AS r FROM employees",
    "SELECT name FROM depts UNION SELECT kk_pay(1) FROM dual",
    "SELECT name FROM employees WHERE EXISTS (SELECT 1 FROM depts WHERE kk_pay(1) > 0)",
    "SELECT CONCAT(name, ':', kk_pay(id)) AS tag FROM employees",
]

METADATA_CALLS = [
    "SELECT USER()",
    "SELECT user()",
    "SELECT CURRENT_USER",
    "SELECT CURRENT_USER()",
    "SELECT current_user",
    "SELECT SESSION_USER()",
    "SELECT SYSTEM_USER()",
    "SELECT CURRENT_ROLE",
    "SELECT CURRENT_ROLE()",
    "SELECT VERSION()",
    "SELECT CONNECTION_ID()",
    "SELECT DATABASE()",
    "SELECT SCHEMA()",
    "SELECT LAST_INSERT_ID()",
    "SELECT FOUND_ROWS()",
    "SELECT ROW_COUNT()",
    "SELECT UUID_SHORT()",
    "SELECT BENCHMARK(1000, MD5('x'))",
    "SELECT SLEEP(1)",
    "SELECT `sleep`(1)",
    "SELECT GET_LOCK('kk', 0)",
    "SELECT RELEASE_ALL_LOCKS()",
    "SELECT IS_USED_LOCK('kk')",
    "SELECT LOAD_FILE('/etc/passwd')",
    "SELECT MASTER_POS_WAIT('log', 4, 1)",
    "SELECT NEXTVAL(s)",
    "SELECT SYS_EXEC('id')",
    "SELECT name, VALUES(name) FROM employees",
    "SELECT name FROM employees WHERE name = USER()",
    "SELECT COUNT(*) FROM employees GROUP BY CONNECTION_ID()",
]

# Built-ins business questions use: each passes the guard and runs on MariaDB.
BUILT_INS = [
    "SELECT COUNT(*), COUNT(DISTINCT dept_id), MIN(id), MAX(id), AVG(id) FROM employees",
    "SELECT dept_id, GROUP_CONCAT(name ORDER BY name SEPARATOR ', ') FROM employees"
    " GROUP BY dept_id",
    "SELECT name, ROW_NUMBER() OVER (ORDER BY id), DENSE_RANK() OVER (ORDER BY dept_id),"
    " LAG(name) OVER (ORDER BY id), NTILE(2) OVER (ORDER BY id) FROM employees",
    "SELECT STDDEV(id), VARIANCE(id), STD(id), VAR_SAMP(id), BIT_OR(id) FROM employees",
    "SELECT IF(id > 1, 'b', 'a'), IFNULL(name, '-'), NULLIF(id, 1), COALESCE(name, 'x'),"
    " GREATEST(id, 2), LEAST(id, 2) FROM employees",
    "SELECT CAST(id AS CHAR), CONVERT(id, CHAR), CAST(hired_on AS DATETIME) FROM employees",
    "SELECT UPPER(name), LOWER(name), LENGTH(name), CHAR_LENGTH(name), SUBSTRING(name, 1, 2),"
    " LEFT(name, 1), RIGHT(name, 1), TRIM(name), REPLACE(name, 'A', 'a'), LPAD(name, 5, '*'),"
    " CONCAT_WS('-', name, id), LOCATE('n', name), INSTR(name, 'n'), REVERSE(name)"
    " FROM employees",
    "SELECT SUBSTRING_INDEX(name, 'n', 1), FIELD(name, 'Ann', 'Bob'), FORMAT(id * 1000, 2),"
    " REGEXP_REPLACE(name, 'n+', 'N'), name REGEXP '^A', SOUNDEX(name), HEX(id) FROM employees",
    "SELECT ROUND(id / 3, 2), FLOOR(id / 3), CEIL(id / 3), ABS(-id), MOD(id, 2), POWER(id, 2),"
    " SQRT(id), TRUNCATE(id / 3, 1), SIGN(id), LOG10(id + 1), PI() FROM employees",
    "SELECT YEAR(hired_on), MONTH(hired_on), DAY(hired_on), QUARTER(hired_on),"
    " WEEK(hired_on), DAYOFWEEK(hired_on), MONTHNAME(hired_on), DAYNAME(hired_on),"
    " LAST_DAY(hired_on), DATE_FORMAT(hired_on, '%Y-%m') FROM employees",
    "SELECT DATE_ADD(hired_on, INTERVAL 1 MONTH), DATE_SUB(hired_on, INTERVAL 2 DAY),"
    " DATEDIFF(CURDATE(), hired_on), TIMESTAMPDIFF(MONTH, hired_on, NOW()),"
    " EXTRACT(YEAR FROM hired_on), STR_TO_DATE('2024-01-02', '%Y-%m-%d') FROM employees",
    "SELECT CURRENT_DATE, CURRENT_TIMESTAMP, CURDATE(), NOW(), UTC_DATE(), UNIX_TIMESTAMP(),"
    " DATE(NOW()), TO_DAYS(hired_on), FROM_UNIXTIME(0) FROM employees",
    "SELECT JSON_EXTRACT(profile, '$.city'), JSON_UNQUOTE(JSON_EXTRACT(profile, '$.city')),"
    " profile ->> '$.city', JSON_VALUE(profile, '$.city'), JSON_LENGTH(profile),"
    " JSON_OBJECT('n', name), JSON_ARRAY(id, name), JSON_VALID(profile) FROM employees",
    "SELECT CASE WHEN id = 1 THEN 'one' ELSE 'other' END, id DIV 2 FROM employees",
    "SELECT DISTINCT MEDIAN(id) OVER () FROM employees",
    "SELECT SUM(CASE WHEN dept_id = 1 THEN 1 ELSE 0 END) * 100.0 / COUNT(*) FROM employees",
]


@pytest.fixture(scope="module")
def engine(mysql_server_url: str) -> Iterator[sa.Engine]:
    with seeded_engine(mysql_server_url, DDL) as created:
        yield created


guard = guard_for(SCHEMA, POLICY)


def test_the_stored_function_reads_a_denied_column_when_unguarded(engine: sa.Engine) -> None:
    assert sorted(rows(engine, STORED_CALLS[0])) == [("Ann", 5000), ("Bob", 7000)]


@pytest.mark.parametrize("sql", STORED_CALLS)
def test_every_spelling_of_a_stored_function_call_is_refused(engine: sa.Engine, sql: str) -> None:
    with pytest.raises(SqlRejected, match=r"KK_PAY\(\) is not one of the database's"):
        guard(sql)


@pytest.mark.parametrize("sql", METADATA_CALLS)
def test_account_server_and_side_effect_functions_are_refused(sql: str) -> None:
    with pytest.raises(SqlRejected, match=r"The function \w+\(\)"):
        guard(sql)


@pytest.mark.parametrize("sql", BUILT_INS)
def test_business_built_ins_pass_and_run_on_mariadb(engine: sa.Engine, sql: str) -> None:
    assert rows(engine, guard(sql))


@pytest.mark.parametrize("spelling", ["MD5", "md5", "`md5`", "`MD5`"])
def test_a_stored_function_named_like_a_built_in_is_never_the_one_called(
    engine: sa.Engine, spelling: str
) -> None:
    sql = guard(f"SELECT {spelling}(name) AS h FROM employees WHERE id = 1")
    assert rows(engine, sql) == [("82e335f7ac0e0e412b2ae15abe662110",)]  # MD5('Ann'), not 42


def test_every_allowed_name_is_a_native_mariadb_function(engine: sa.Engine) -> None:
    # MariaDB answers 1305 "FUNCTION db.x does not exist" only for names it would look up
    # as stored functions; a native one fails on its arguments or syntax instead.
    looked_up = []
    for name in sorted(ALLOWED[MYSQL]):
        try:
            rows(engine, f"SELECT {name}()")
        except pymysql.err.MySQLError as error:
            if error.args[0] == 1305:
                looked_up.append(name)
    assert looked_up == []
