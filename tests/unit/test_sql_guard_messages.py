"""The SQL guard's reasons come from the message catalogue (domain "guard").

The page shows a refusal in the reader's language; `str()` stays the English sentence that
the model gets back on a retry and `keskinube sql check` prints, word for word.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from backend.domain import AccessPolicy, RowFilter
from backend.errors import SqlRejected
from backend.i18n import Message, catalogue
from backend.sql_guard import check_sql

ROOT = Path(__file__).resolve().parents[2]
SCHEMA: dict[str, list[str]] = {
    "customers": ["id", "name", "region_id"],
    "orders": ["id", "customer_id", "region_id", "amount"],
    "staff": ["id", "name", "salary"],
    "audit_log": ["id", "action"],
}
POLICY = AccessPolicy(
    allowed_tables=frozenset({"customers", "orders", "staff"}),
    denied_columns=frozenset({("staff", "salary")}),
)
ONLY_SELECT_EN = "only read-only SELECT queries can be run."
ONLY_SELECT_ES = "solo se pueden ejecutar consultas SELECT de solo lectura."


def _rule(predicate: str) -> AccessPolicy:
    return AccessPolicy(row_filters=(RowFilter("orders", predicate),))


def refusal(sql: str, dialect: str = "mysql", policy: AccessPolicy = POLICY) -> SqlRejected:
    with pytest.raises(SqlRejected) as caught:
        check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=10, policy=policy)
    return caught.value


def _keys(message: Message) -> set[str]:
    found = {message.key}
    for _, value in message.params:
        if isinstance(value, Message):
            found |= _keys(value)
    return found


# (sql, dialect, policy, English as today, Spanish)
REJECTIONS: list[tuple[str, str, AccessPolicy, str, str]] = [
    (
        "DELETE FROM orders",
        "mysql",
        POLICY,
        f"DELETE changes data; {ONLY_SELECT_EN}",
        f"DELETE modifica datos; {ONLY_SELECT_ES}",
    ),
    (
        "SELECT salary FROM staff",
        "mysql",
        POLICY,
        "That query reads staff.salary, which your role can't see; leave that column out.",
        "Esa consulta lee staff.salary, que tu rol no puede ver; deja fuera esa columna.",
    ),
    (
        "SELECT * FROM staff",
        "mysql",
        POLICY,
        "SELECT * on staff would read staff.salary, which your role can't see; list the "
        "columns you need instead (allowed: id, name).",
        "SELECT * sobre staff leería staff.salary, que tu rol no puede ver; enumera en su "
        "lugar las columnas que necesitas (permitidas: id, name).",
    ),
    (
        "SELECT id FROM invoices",
        "mysql",
        POLICY,
        "There is no table named invoices in this database; use only tables from the schema.",
        "No hay ninguna tabla llamada invoices en esta base de datos; usa solo tablas del esquema.",
    ),
    (
        "SELECT id FROM ordrs",
        "mysql",
        POLICY,
        "There is no table named ordrs in this database; did you mean orders?",
        "No hay ninguna tabla llamada ordrs en esta base de datos; ¿querías decir orders?",
    ),
    (
        "SELECT id FROM audit_log",
        "mysql",
        POLICY,
        "That query reads the table audit_log, which your role can't see.",
        "Esa consulta lee la tabla audit_log, que tu rol no puede ver.",
    ),
    (
        "SELECT 1; SELECT 2",
        "mysql",
        POLICY,
        "The text holds 2 statements; send exactly one SELECT query.",
        "El texto contiene 2 sentencias; envía una sola consulta SELECT.",
    ),
    (
        "SELEC * FROM orders",
        "mysql",
        POLICY,
        f"That statement starts with SELEC; {ONLY_SELECT_EN}",
        f"Esa sentencia empieza por SELEC; {ONLY_SELECT_ES}",
    ),
    (
        "SELECT salry FROM staff",
        "mysql",
        POLICY,
        "Column 'salry' could not be resolved: the column is missing from the tables the "
        "query reads or is ambiguous; prefix it with its table name and check it against "
        "the schema.",
        "No se encuentra la columna 'salry': no está en las tablas que lee la consulta o es "
        "ambigua; ponle delante el nombre de su tabla y compruébala con el esquema.",
    ),
    (
        "SELECT id FROM orders",
        "sqlite",
        _rule("SLEEP(1) = 0"),
        "The access rule on orders is not valid (The function SLEEP() is not allowed in "
        "questions to the database); ask an administrator to fix it.",
        "La regla de acceso de orders no es válida (La función SLEEP() no está permitida en "
        "las preguntas a la base de datos); pide a un administrador que la corrija.",
    ),
    (
        "WITH x AS (DELETE FROM orders RETURNING id) SELECT id FROM x",
        "sqlite",
        POLICY,
        f"The query contains a statement that changes data; {ONLY_SELECT_EN}",
        f"La consulta contiene una sentencia que modifica datos; {ONLY_SELECT_ES}",
    ),
]


@pytest.mark.parametrize(
    ("sql", "dialect", "policy", "english", "spanish"),
    REJECTIONS,
    ids=[case[0] for case in REJECTIONS],
)
def test_a_refusal_reads_in_spanish_and_stays_english_for_the_model(
    sql: str, dialect: str, policy: AccessPolicy, english: str, spanish: str
) -> None:
    error = refusal(sql, dialect, policy)
    assert str(error) == english
    assert error.message is not None
    assert error.render("en") == english
    assert error.render("es") == spanish


def test_a_parse_error_keeps_the_parsers_words_and_says_where_in_spanish() -> None:
    error = refusal("SELECT * FROM orders WHERE")
    assert str(error).startswith("The SQL could not be parsed (")
    assert " near line 1, column 26); " in str(error)
    spanish = error.render("es")
    assert spanish.startswith("No se ha podido analizar el SQL (Required keyword: ")
    assert spanish.endswith(f" cerca de la línea 1, columna 26); {ONLY_SELECT_ES}")


def test_a_stored_refusal_renders_the_same_after_a_round_trip() -> None:
    error = refusal("SELECT id FROM orders", "sqlite", _rule("region_id = @r"))
    assert error.message is not None
    again = Message.from_dict(error.message.to_dict())
    assert again == error.message
    assert again.render("es") == error.render("es")
    assert str(again) == str(error)


# Reached by real refusals above or here; together they use every key but DEFENSIVE.
COVERAGE: list[tuple[str, str, AccessPolicy]] = [
    *[(sql, dialect, policy) for sql, dialect, policy, _, _ in REJECTIONS],
    *[
        (sql, "mysql", POLICY)
        for sql in (
            "",
            "SELECT 'unterminated FROM orders",
            "SELECT * FROM orders WHERE",
            "/*! SELECT 1 */ SELECT 1",
            "SELECT id INTO OUTFILE '/tmp/x' FROM orders",
            "SELECT id INTO @x FROM orders",
            "SELECT id FROM orders FOR UPDATE",
            "SELECT @x := 1",
            "SELECT @@version",
            "SELECT ? FROM orders",
            "SELECT mysql.f(1)",
            "SELECT SLEEP(1)",
            "SELECT * FROM JSON_TABLE('[]', '$[*]' COLUMNS (a INT PATH '$')) t",
            "SELECT * FROM information_schema.tables",
            "SELECT id FROM shop.orders",
            "SELECT id FROM otherdb.secrets",
            "SELECT id FROM orders FOR SYSTEM_TIME AS OF '2020-01-01'",
            "WITH orders AS (SELECT 1) SELECT * FROM orders",
            "SELECT id AS salary FROM staff",
            "SELECT name FROM staff NATURAL JOIN (VALUES ('salary'), (10)) t",
            "SELECT name FROM staff JOIN customers USING (SALARY)",
            "SELECT (SELECT s.name FROM customers S) FROM staff s",
            "SELECT '" + "x" * 20_000 + "'",
            "SELECT my_udf(id) FROM orders",
            "SELECT CURRENT_USER",
            "SELECT " + "(" * 26 + "1" + ")" * 26,
            "SELECT id FROM orders WHERE " + " OR ".join(["id = 1"] * 500),
            "SELECT x.name FROM staff",
            "SELECT s.name FROM staff s, (SELECT 1) s",
            "DROP TABLE orders",
            "GRANT SELECT ON orders TO bob",
            "SET x = 1",
            "CALL p()",
            "DO 1",
            "HANDLER orders OPEN",
            "LOCK TABLES orders READ",
            "LOAD DATA INFILE 'x' INTO TABLE orders",
            "SHOW TABLES",
            "BEGIN",
            "KILL 1",
        )
    ],
    *[
        (sql, "postgresql", POLICY)
        for sql in (
            "COPY orders TO STDOUT",
            "LISTEN ch",
            "FETCH ALL FROM c",
            "SELECT 'pg_authid'::regclass",
            'SELECT "my_udf"(1)',
            "SELECT '{10}'::_regrole",
            "SELECT xmin FROM orders",
            "SELECT 2 OPERATOR(public.###) 0",
            "SELECT to_jsonb(s) FROM staff s",
            "SELECT n FROM staff AS s(i, n, pay)",
        )
    ],
    ("SELECT * FROM sqlite_master", "sqlite", POLICY),
    ("ATTACH 'x' AS y", "sqlite", POLICY),
    ("PRAGMA table_info(orders)", "sqlite", POLICY),
    *[
        ("SELECT id FROM orders", "sqlite", _rule(predicate))
        for predicate in (
            "region_id =",
            "SELECT 1",
            "region_id IN (SELECT id FROM customers)",
            "regoin_id = 1",
            "customers.region_id = 3",
            "region_id = :user.region_id",
        )
    ],
]
# Fail-closed paths no known query reaches (the parser or an earlier rule gets there first).
DEFENSIVE = frozenset(
    {
        "guard.one_statement",
        "guard.not_a_select",
        "guard.statement_does",
        "guard.does.attach",
        "guard.does.detach",
        "guard.next_value_for",
        "guard.unsupported_syntax",
        "guard.column.unchecked",
        "guard.column.unattributed",
        "guard.failed",
    }
)


def _guard_keys() -> set[str]:
    return {key for key in catalogue("en") if key.startswith("guard.")}


def test_real_refusals_reach_every_guard_key_and_all_read_in_spanish() -> None:
    reached: set[str] = set()
    for sql, dialect, policy in COVERAGE:
        error = refusal(sql, dialect, policy)
        assert error.message is not None, sql
        reached |= _keys(error.message)
        spanish = error.render("es")
        assert spanish != str(error), sql
        assert "{" not in spanish, sql
    assert reached | DEFENSIVE == _guard_keys()
    assert not reached & DEFENSIVE, "a defensive key is reached now: move it out of DEFENSIVE"


def _used_in_the_guard() -> set[str]:
    keys = set()
    for path in (ROOT / "backend" / "sql_guard").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "of"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys.add(node.args[0].value)
    return keys


def test_the_guard_domain_holds_exactly_the_keys_the_guard_uses() -> None:
    assert _used_in_the_guard() == _guard_keys()


def test_every_guard_message_is_translated() -> None:
    english, spanish = catalogue("en"), catalogue("es")
    only_placeholders = {"guard.sentence", "guard.keyword_does"}
    for key in _guard_keys() - only_placeholders:
        fields = {f for _, f, _, _ in string.Formatter().parse(english[key]) if f is not None}
        sample = {field: f"<{field}>" for field in fields}
        assert spanish[key].format(**sample) != english[key].format(**sample), key
