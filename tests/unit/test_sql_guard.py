"""The SQL guard's statement rules: what it refuses (and why), what it lets through, the cap.

Each refusal asserts part of the reason, because the message is what the user reads and
what the model gets back when it retries.
"""

from __future__ import annotations

import pytest
import sqlglot

from backend.domain import CheckedSql
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

SCHEMA: dict[str, list[str]] = {
    "customers": ["id", "name", "city", "region_id", "created_at"],
    "orders": ["id", "customer_id", "region_id", "amount", "status", "ordered_at"],
    "order_items": ["order_id", "product_id", "quantity", "price"],
    "products": ["id", "name", "category", "price"],
    "regions": ["id", "name"],
}
ROW_LIMIT = 100


def guard(sql: str, dialect: str = "mysql", row_limit: int = ROW_LIMIT) -> CheckedSql:
    return check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=row_limit)


def rejection(sql: str, dialect: str = "mysql") -> str:
    with pytest.raises(SqlRejected) as caught:
        guard(sql, dialect)
    return str(caught.value)


REJECTED: list[tuple[str, str]] = [
    # text that is not one parsable statement
    ("SELEC * FROM orders", "starts with SELEC"),
    ("SELECT * FROM orders WHERE", "could not be parsed"),
    ("SELECT 'unterminated FROM orders", "could not be read"),
    ("", "no SQL statement"),
    ("  ;  ", "no SQL statement"),
    ("SELECT 1; SELECT 2", "2 statements"),
    ("SELECT 1; DROP TABLE orders", "2 statements"),
    ("SELECT * FROM orders; DELETE FROM orders;", "2 statements"),
    ("VALUES (1)", "starts with VALUES"),
    # writes, DDL, permissions
    ("INSERT INTO orders (id) VALUES (1)", "INSERT changes data"),
    ("UPDATE orders SET amount = 0", "UPDATE changes data"),
    ("DELETE FROM orders", "DELETE changes data"),
    ("REPLACE INTO orders (id) VALUES (1)", "REPLACE changes data"),
    ("DROP TABLE orders", "DROP changes the database structure"),
    ("CREATE TABLE x (a INT)", "CREATE changes the database structure"),
    ("CREATE TABLE x AS SELECT * FROM orders", "CREATE changes the database structure"),
    ("ALTER TABLE orders ADD COLUMN c INT", "ALTER changes the database structure"),
    ("TRUNCATE TABLE orders", "TRUNCATE changes the database structure"),
    ("RENAME TABLE orders TO old_orders", "RENAME changes the database structure"),
    ("GRANT SELECT ON orders TO bob", "GRANT changes permissions"),
    ("REVOKE SELECT ON orders FROM bob", "REVOKE changes permissions"),
    # session, procedures, handlers, locks, admin
    ("SET @a = 1", "SET changes session or server settings"),
    ("SET GLOBAL max_connections = 1", "SET changes session or server settings"),
    ("SET SESSION tx_read_only = 0", "SET changes session or server settings"),
    ("CALL cleanup()", "CALL runs a stored procedure"),
    ("DO SLEEP(5)", "DO evaluates expressions"),
    ("HANDLER orders OPEN", "HANDLER reads tables"),
    ("HANDLER orders READ FIRST", "HANDLER reads tables"),
    ("LOCK TABLES orders READ", "LOCK locks or unlocks tables"),
    ("UNLOCK TABLES", "UNLOCK locks or unlocks tables"),
    ("SHOW TABLES", "SHOW reads server metadata"),
    ("DESCRIBE orders", "DESCRIBE reads server metadata"),
    ("EXPLAIN SELECT * FROM orders", "EXPLAIN reads server metadata"),
    ("USE mysql", "USE reads server metadata"),
    ("START TRANSACTION", "START controls transactions"),
    ("COMMIT", "COMMIT controls transactions"),
    ("KILL 12", "KILL is an administrative command"),
    ("FLUSH PRIVILEGES", "FLUSH is an administrative command"),
    ("PREPARE s FROM 'SELECT 1'", "PREPARE is an administrative command"),
    ("LOAD DATA INFILE '/etc/passwd' INTO TABLE orders", "LOAD loads data from files"),
    ("(DELETE FROM orders)", "DELETE changes data"),
    ("WITH x AS (SELECT 1) DELETE FROM orders", "that statement changes data"),
    ("WITH x AS (SELECT 1) UPDATE orders SET amount = 1", "that statement changes data"),
    # SELECT ... INTO, in every position
    ("SELECT * FROM orders INTO OUTFILE '/tmp/o.csv'", "INTO OUTFILE writes files"),
    ("SELECT * INTO OUTFILE '/tmp/o.csv' FROM orders", "INTO OUTFILE writes files"),
    ("SELECT * FROM orders INTO DUMPFILE '/tmp/o'", "INTO DUMPFILE writes files"),
    ("SELECT id INTO @v FROM orders LIMIT 1", "INTO stores results"),
    ("SELECT id FROM orders LIMIT 1 INTO @v", "INTO stores results"),
    ("SELECT a FROM (SELECT 1 AS a INTO @x) t", "INTO stores results"),
    ("SELECT id FROM orders WHERE id IN (SELECT id INTO @v FROM orders)", "INTO stores"),
    # dangerous functions, anywhere
    ("SELECT SLEEP(10)", "SLEEP() is not allowed"),
    ("SELECT sleep(1)", "SLEEP() is not allowed"),
    ("SELECT `sleep`(1)", "SLEEP() is not allowed"),
    ("SELECT * FROM orders WHERE SLEEP(1) = 0", "SLEEP() is not allowed"),
    ("SELECT (SELECT SLEEP(1) FROM orders LIMIT 1) AS s", "SLEEP() is not allowed"),
    ("SELECT BENCHMARK(1000000, MD5('x'))", "BENCHMARK() is not allowed"),
    ("SELECT LOAD_FILE('/etc/passwd')", "LOAD_FILE() is not allowed"),
    ("SELECT GET_LOCK('x', 10)", "GET_LOCK() is not allowed"),
    ("SELECT RELEASE_LOCK('x')", "RELEASE_LOCK() is not allowed"),
    ("SELECT IS_FREE_LOCK('x')", "IS_FREE_LOCK() is not allowed"),
    ("SELECT MASTER_POS_WAIT('log.000001', 4)", "MASTER_POS_WAIT() is not allowed"),
    ("SELECT NEXTVAL(order_seq)", "NEXTVAL() is not allowed"),
    ("SELECT mysql.some_function(1)", "by schema name is not allowed"),
    # row locks
    ("SELECT * FROM orders FOR UPDATE", "lock rows"),
    ("SELECT * FROM orders LOCK IN SHARE MODE", "lock rows"),
    ("SELECT * FROM orders FOR SHARE", "lock rows"),
    ("SELECT * FROM (SELECT * FROM orders FOR UPDATE) o", "lock rows"),
    # variables and placeholders
    ("SELECT @a := 1", "user variables"),
    ("SELECT @total", "user variables"),
    ("SELECT * FROM orders WHERE id = @id", "user variables"),
    ("SELECT id, @n := @n + 1 AS rn FROM orders", "user variables"),
    ("SELECT @@version", "server variables"),
    ("SELECT @@global.secure_file_priv", "server variables"),
    ("SELECT * FROM orders WHERE id = ?", "placeholder"),
    ("SELECT * FROM orders WHERE id = :id", "placeholder"),
    # executable comments
    ("SELECT /*! SLEEP(5) */ 1", "executable comment"),
    ("SELECT 1 /*!50000 UNION SELECT 2 */", "executable comment"),
    ("SELECT /*M! 1, */ 2", "executable comment"),
    ("/*!40101 SET NAMES utf8 */ SELECT 1", "executable comment"),
    # system schemas and other databases
    ("SELECT * FROM information_schema.tables", "system schema information_schema"),
    ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS", "system schema INFORMATION_SCHEMA"),
    ("SELECT user, authentication_string FROM mysql.user", "system schema mysql"),
    ("SELECT * FROM `mysql`.`user`", "system schema mysql"),
    ("SELECT * FROM performance_schema.threads", "system schema performance_schema"),
    ("SELECT * FROM sys.session", "system schema sys"),
    ("SELECT * FROM orders o JOIN information_schema.columns c ON 1 = 1", "system schema"),
    ("SELECT (SELECT COUNT(*) FROM information_schema.tables) AS n", "system schema"),
    ("SELECT * FROM shop.orders", "without a database prefix: orders instead of shop.orders"),
    ("SELECT * FROM otherdb.secrets", "otherdb.secrets is in another database"),
    ("SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) AS jt", "JSON_TABLE"),
    # unknown tables, including CTE names used out of scope
    ("SELECT * FROM invoices", "no table named invoices"),
    ("SELECT * FROM ordrs", "did you mean orders?"),
    ("SELECT * FROM orders o JOIN invoices i ON i.order_id = o.id", "no table named invoices"),
    ("SELECT * FROM orders WHERE id IN (SELECT order_id FROM refunds)", "no table named refunds"),
    ("WITH x AS (SELECT * FROM secrets) SELECT * FROM x", "no table named secrets"),
    ("SELECT * FROM (WITH s AS (SELECT 1 AS a) SELECT * FROM s) x, s", "no table named s"),
    ("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS c) SELECT * FROM a", "no table named b"),
    ("WITH Tmp AS (SELECT 1 AS a) SELECT * FROM tmp", "no table named tmp"),
    # WITH queries may not shadow tables
    ("WITH orders AS (SELECT * FROM customers) SELECT * FROM orders", "same name as the table"),
    ("WITH ORDERS AS (SELECT 1 AS a) SELECT * FROM ORDERS", "same name as the table orders"),
    ("SELECT * FROM orders FOR SYSTEM_TIME ALL", "FOR SYSTEM_TIME"),
]

SQLITE_REJECTED: list[tuple[str, str]] = [
    ("PRAGMA table_info(orders)", "PRAGMA reads or changes SQLite settings"),
    ("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH attaches or detaches"),
    ("DETACH x", "DETACH attaches or detaches"),
    ("VACUUM", "VACUUM is an administrative command"),
    ("SELECT name FROM sqlite_master", "system table sqlite_master"),
    ("SELECT * FROM sqlite_schema", "system table sqlite_schema"),
    ("SELECT * FROM sqlite_temp_master", "system table sqlite_temp_master"),
    ("SELECT * FROM main.sqlite_master", "system table sqlite_master"),
    ("SELECT * FROM main.orders", "without a database prefix"),
    ("SELECT * FROM pragma_table_info('orders')", "table functions such as pragma_table_info"),
    ("SELECT load_extension('/tmp/evil.so')", "LOAD_EXTENSION() is not allowed"),
    ("SELECT writefile('/tmp/x', 'y')", "WRITEFILE() is not allowed"),
    ("SELECT * FROM orders WHERE id = $id", "placeholder"),
    ("SELECT * FROM orders LIMIT 1; SELECT 1", "2 statements"),
]


@pytest.mark.parametrize(("sql", "reason"), REJECTED)
def test_guard_rejects_with_reason(sql: str, reason: str) -> None:
    assert reason.lower() in rejection(sql).lower()


@pytest.mark.parametrize(("sql", "reason"), SQLITE_REJECTED)
def test_guard_rejects_sqlite_specific_statements(sql: str, reason: str) -> None:
    assert reason.lower() in rejection(sql, dialect="sqlite").lower()


def test_rejection_messages_are_sentences() -> None:
    for sql, _ in REJECTED[:20]:
        message = rejection(sql)
        assert message[0].isupper() and message.endswith((".", "?")), message


def test_unknown_table_suggestion_names_only_visible_tables() -> None:
    assert "did you mean" not in rejection("SELECT * FROM zzz_nothing_like_it")


ACCEPTED: list[tuple[str, str]] = [
    ("SELECT * FROM orders", "SELECT * FROM orders LIMIT 100"),
    ("select id, amount from ORDERS where amount > 10", "FROM ORDERS WHERE amount > 10"),
    (
        "SELECT c.name, SUM(o.amount) AS total FROM customers c JOIN orders o "
        "ON o.customer_id = c.id GROUP BY c.name ORDER BY total DESC",
        "ORDER BY total DESC LIMIT 100",
    ),
    (
        "WITH t AS (SELECT customer_id, SUM(amount) AS s FROM orders GROUP BY customer_id) "
        "SELECT * FROM t WHERE s > 100",
        "WITH t AS (",
    ),
    (
        "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
        "SELECT i FROM n",
        "WITH RECURSIVE n AS",
    ),
    ("SELECT name FROM customers UNION SELECT name FROM products", "UNION SELECT name"),
    ("SELECT name FROM customers UNION ALL SELECT name FROM products", "UNION ALL"),
    ("SELECT name FROM customers INTERSECT SELECT name FROM products", "INTERSECT"),
    ("SELECT name FROM customers EXCEPT SELECT name FROM products", "EXCEPT"),
    ("(SELECT name FROM customers) UNION (SELECT name FROM products)", "UNION"),
    ("SELECT name FROM customers WHERE name REGEXP '^A'", "WHERE name REGEXP '^A'"),
    ("SELECT name FROM customers WHERE name NOT REGEXP '^A'", "NOT name REGEXP '^A'"),
    ("SELECT name FROM customers WHERE name RLIKE 'x'", "name REGEXP 'x'"),
    ("SELECT 1 FROM dual", "SELECT 1 FROM DUAL"),
    ("SELECT NOW() AS now", "SELECT NOW() AS now"),
    (
        "SELECT DATE_FORMAT(ordered_at, '%Y-%m') AS month, COUNT(*) FROM orders GROUP BY month",
        "DATE_FORMAT(ordered_at, '%Y-%m')",
    ),
    (
        "SELECT * FROM orders WHERE ordered_at >= DATE_SUB(CURDATE(), INTERVAL 30 DAY)",
        "INTERVAL '30' DAY",
    ),
    (
        "SELECT id, RANK() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS r FROM orders",
        "RANK() OVER (PARTITION BY customer_id ORDER BY amount DESC)",
    ),
    (
        "SELECT o.id FROM orders o WHERE o.amount > "
        "(SELECT AVG(o2.amount) FROM orders o2 WHERE o2.customer_id = o.customer_id)",
        "o2.customer_id = o.customer_id",
    ),
    (
        "SELECT name FROM customers c WHERE EXISTS (SELECT 1 FROM orders o "
        "WHERE o.customer_id = c.id)",
        "EXISTS(",
    ),
    ("SELECT COUNT(*) FROM orders -- how many orders?", "SELECT COUNT(*) FROM orders LIMIT 100"),
    ("/* the model explains */ SELECT 1 AS one", "SELECT 1 AS one LIMIT 100"),
    ("SELECT 'a;b' AS s", "'a;b'"),
    ("SELECT * FROM `orders`", "FROM `orders`"),
    ("SELECT id FROM orders;", "SELECT id FROM orders LIMIT 100"),
    ("TABLE orders", "SELECT * FROM orders"),
    ("SELECT /*+ MAX_EXECUTION_TIME(0) */ id FROM orders", "SELECT id FROM orders"),
    ("SELECT 'SLEEP(1)' AS s, '@x' AS v, 'INTO OUTFILE' AS w", "'SLEEP(1)'"),
    ("SELECT id AS `update` FROM orders", "AS `update`"),
    ("SELECT CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS size FROM orders", "CASE"),
    ("SELECT customer_id FROM orders GROUP BY customer_id HAVING COUNT(*) > 2", "HAVING"),
    ("SELECT * FROM orders o JOIN customers c USING (id)", "USING (id)"),
    ("SELECT 'it''s' AS s", "'it''s'"),
    ("SELECT JSON_UNQUOTE(JSON_EXTRACT('{\"a\": 1}', '$.a')) AS a", "JSON_EXTRACT"),
]

SQLITE_ACCEPTED: list[tuple[str, str]] = [
    (
        "SELECT strftime('%Y', ordered_at) AS y, COUNT(*) FROM orders GROUP BY y",
        "STRFTIME('%Y', ordered_at)",
    ),
    ("SELECT name || ' (' || city || ')' AS label FROM customers", "||"),
    ("SELECT * FROM orders LIMIT 5 OFFSET 10", "LIMIT 5 OFFSET 10"),
    ('SELECT * FROM "orders"', 'FROM "orders"'),
    ("SELECT date('now', '-7 days') AS d", "DATE('now', '-7 days')"),
]


@pytest.mark.parametrize(("sql", "expected"), ACCEPTED)
def test_guard_accepts_read_queries(sql: str, expected: str) -> None:
    checked = guard(sql)
    assert expected in checked.sql
    assert "--" not in checked.sql and "/*" not in checked.sql


@pytest.mark.parametrize(("sql", "expected"), SQLITE_ACCEPTED)
def test_guard_accepts_sqlite_queries(sql: str, expected: str) -> None:
    assert expected in guard(sql, dialect="sqlite").sql


def test_guard_returns_regenerated_sql_that_parses_to_one_select() -> None:
    checked = guard("select  *\n  from orders  # a MySQL comment\n where id=1")
    assert checked.sql == "SELECT * FROM orders WHERE id = 1 LIMIT 100"
    assert isinstance(sqlglot.parse_one(checked.sql, read="mysql"), sqlglot.exp.Select)


def test_guard_reports_tables_read_in_schema_spelling() -> None:
    checked = guard(
        "WITH t AS (SELECT * FROM ORDERS) SELECT * FROM t JOIN Customers c ON c.id = t.id"
    )
    assert checked.tables == frozenset({"orders", "customers"})


def test_guard_does_not_count_cte_or_dual_as_tables() -> None:
    assert guard("WITH t AS (SELECT 1 AS a) SELECT a FROM t").tables == frozenset()
    assert guard("SELECT 1 FROM dual").tables == frozenset()


def test_guard_accepts_cte_referenced_from_a_later_cte_and_subquery() -> None:
    sql = (
        "WITH a AS (SELECT id FROM orders), b AS (SELECT id FROM a) "
        "SELECT * FROM b WHERE id IN (SELECT id FROM a)"
    )
    assert guard(sql).tables == frozenset({"orders"})


def test_guard_accepts_cte_across_union_branches() -> None:
    sql = "WITH c AS (SELECT id FROM orders) SELECT id FROM c UNION SELECT id FROM c"
    assert "UNION" in guard(sql).sql


def test_guard_rejects_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="Unknown SQL dialect"):
        guard("SELECT 1", dialect="oracle")


LIMITS: list[tuple[str, str, int | None, str]] = [
    ("mysql", "SELECT id FROM orders", 100, "SELECT id FROM orders LIMIT 100"),
    ("mysql", "SELECT id FROM orders LIMIT 10", None, "LIMIT 10"),
    ("mysql", "SELECT id FROM orders LIMIT 100", None, "LIMIT 100"),
    ("mysql", "SELECT id FROM orders LIMIT 101", 100, "LIMIT 100"),
    ("mysql", "SELECT id FROM orders LIMIT 5000 OFFSET 20", 100, "LIMIT 100 OFFSET 20"),
    ("mysql", "SELECT id FROM orders LIMIT 20, 5000", 100, "LIMIT 100 OFFSET 20"),
    ("mysql", "SELECT id FROM orders LIMIT 0", None, "LIMIT 0"),
    ("mysql", "SELECT id FROM orders ORDER BY id DESC", 100, "ORDER BY id DESC LIMIT 100"),
    (
        "mysql",
        "SELECT id FROM orders UNION SELECT id FROM customers",
        100,
        "SELECT id FROM orders UNION SELECT id FROM customers LIMIT 100",
    ),
    (
        "mysql",
        "SELECT id FROM orders UNION SELECT id FROM customers LIMIT 500",
        100,
        "UNION SELECT id FROM customers LIMIT 100",
    ),
    (
        "mysql",
        "(SELECT id FROM orders LIMIT 500) UNION (SELECT id FROM customers LIMIT 5)",
        100,
        "(SELECT id FROM orders LIMIT 500) UNION (SELECT id FROM customers LIMIT 5) LIMIT 100",
    ),
    (
        "mysql",
        "SELECT * FROM (SELECT * FROM orders LIMIT 1000) o",
        100,
        "(SELECT * FROM orders LIMIT 1000) AS o LIMIT 100",
    ),
    (
        "mysql",
        "WITH t AS (SELECT id FROM orders LIMIT 900) SELECT id FROM t",
        100,
        "LIMIT 900) SELECT id FROM t LIMIT 100",
    ),
    ("mysql", "SELECT id FROM orders FETCH FIRST 500 ROWS ONLY", 100, "LIMIT 100"),
    ("mysql", "SELECT id FROM orders FETCH FIRST 5 ROWS ONLY", None, "LIMIT 5"),
    ("sqlite", "SELECT id FROM orders LIMIT -1", 100, "LIMIT 100"),
    ("sqlite", "SELECT id FROM orders LIMIT 1000 OFFSET 5", 100, "LIMIT 100 OFFSET 5"),
]


@pytest.mark.parametrize(("dialect", "sql", "applied", "expected"), LIMITS)
def test_guard_caps_rows(dialect: str, sql: str, applied: int | None, expected: str) -> None:
    checked = guard(sql, dialect=dialect)
    assert checked.limit_applied == applied
    assert expected in checked.sql


def test_guard_refuses_nonpositive_row_limit() -> None:
    with pytest.raises(ValueError, match="row_limit"):
        guard("SELECT 1", row_limit=0)
