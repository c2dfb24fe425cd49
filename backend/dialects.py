"""SQL dialects: our names for them, and sqlglot dialects whose output the servers accept.

Keskinube calls MySQL and MariaDB both "mysql", PostgreSQL "postgresql" and SQLite
"sqlite". sqlglot has no
MariaDB dialect, and its MySQL generator writes a few MySQL-8-only spellings that MariaDB
rejects, so "mysql" maps to `MariaDB` below: the MySQL dialect with those spellings
replaced by forms both servers run (checked against MariaDB 10.11 by regenerating ~100
typical queries and comparing results with the originals). PostgreSQL likewise gets a
generator without the one spelling found that it rejects (`CURRENT_TIME()`).

PostgreSQL URLs must name the psycopg (3) driver, the one Keskinube installs:
`postgresql+psycopg://`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.mysql import MySQL
from sqlglot.dialects.postgres import Postgres
from sqlglot.generators.mysql import MySQLGenerator
from sqlglot.generators.postgres import PostgresGenerator

from backend.errors import SettingsError

MYSQL = "mysql"
POSTGRESQL = "postgresql"
SQLITE = "sqlite"
SUPPORTED_DIALECTS = (MYSQL, POSTGRESQL, SQLITE)
# The SQLAlchemy driver PostgreSQL URLs must name (psycopg 3, see requirements.txt).
POSTGRESQL_DRIVER = "psycopg"

# Operators REGEXP may sit under unparenthesised; anything else binary gets parentheses.
_REGEXP_SAFE_PARENTS = (exp.Connector, exp.Not, exp.Paren, exp.Where, exp.Having)


class MariaDBGenerator(MySQLGenerator):
    """MySQL generator, minus the spellings MariaDB does not understand."""

    # TRANSFORMS entries win over `<name>_sql` methods: drop those the methods below replace.
    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        key: value
        for key, value in MySQLGenerator.TRANSFORMS.items()
        if key not in (exp.RegexpLike, exp.UtcDate, exp.Median, exp.JSONExtractScalar)
    }

    def regexplike_sql(self, expression: exp.RegexpLike) -> str:
        # MySQL's generator writes REGEXP_LIKE(a, b); MariaDB has no such function.
        if expression.args.get("flag"):
            return self.function_fallback_sql(expression)
        sql = self.binary(expression, "REGEXP")
        parent = expression.parent
        if isinstance(parent, (exp.Binary, exp.Unary)) and not isinstance(
            parent, _REGEXP_SAFE_PARENTS
        ):
            return f"({sql})"
        return sql

    def table_sql(self, expression: exp.Table, sep: str = " AS ") -> str:
        # `dual` is a reserved word, so the MySQL generator quotes it: `dual` then names a
        # (missing) table instead of the dummy one.
        if _is_dual(expression):
            return "DUAL"
        return super().table_sql(expression, sep)

    def utcdate_sql(self, expression: exp.UtcDate) -> str:
        # The generic fallback is `CURRENT_DATE AT TIME ZONE 'UTC'`, which neither server parses.
        return "UTC_DATE()"

    def median_sql(self, expression: exp.Median) -> str:
        # MariaDB has MEDIAN(); the MySQL generator rewrites it to PERCENTILE_CONT(x, 0.5).
        return self.func("MEDIAN", expression.this)

    def jsonextractscalar_sql(self, expression: exp.JSONExtractScalar) -> str:
        # `->>` exists in MySQL only; JSON_UNQUOTE(JSON_EXTRACT(...)) runs on both servers.
        return self.func(
            "JSON_UNQUOTE", self.func("JSON_EXTRACT", expression.this, expression.expression)
        )


class MariaDB(MySQL):
    """The MySQL dialect with a MariaDB-safe generator; parses exactly like MySQL."""

    Generator = MariaDBGenerator


class PostgreSQLGenerator(PostgresGenerator):
    """PostgreSQL's generator, minus the spellings PostgreSQL does not understand."""

    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        key: value
        for key, value in PostgresGenerator.TRANSFORMS.items()
        if key is not exp.CurrentTime
    }

    def currenttime_sql(self, expression: exp.CurrentTime) -> str:
        # `CURRENT_TIME()` is a syntax error: the keyword takes brackets only with a precision.
        precision = expression.this
        return f"CURRENT_TIME({self.sql(precision)})" if precision else "CURRENT_TIME"


class PostgreSQL(Postgres):
    """sqlglot's PostgreSQL dialect with the generator above; parses exactly like it."""

    Generator = PostgreSQLGenerator


def _is_dual(table: exp.Table) -> bool:
    return (
        isinstance(table.this, exp.Identifier)
        and table.name.lower() == "dual"
        and not table.args.get("db")
        and not table.alias
    )


def canonical_dialect(dialect: str) -> str:
    """Our name for `dialect`: "mysql" (also for "mariadb"), "postgresql" (also for
    "postgres") or "sqlite"."""
    name = dialect.lower()
    if name == "mariadb":
        return MYSQL
    if name == "postgres":
        return POSTGRESQL
    if name not in SUPPORTED_DIALECTS:
        raise ValueError(f"Unknown SQL dialect {dialect!r}; expected one of {SUPPORTED_DIALECTS}.")
    return name


def sqlglot_dialect(dialect: str) -> Dialect:
    """The sqlglot dialect for one of our dialect names ("mysql", "postgresql", "sqlite")."""
    ours = canonical_dialect(dialect)
    if ours == MYSQL:
        return MariaDB()
    if ours == POSTGRESQL:
        return PostgreSQL()
    return Dialect.get_or_raise(SQLITE)


def dialect_for_url(sqlalchemy_url: str) -> str:
    """Our dialect name for a SQLAlchemy URL: "mysql" for MySQL/MariaDB, "postgresql" for
    PostgreSQL through psycopg, "sqlite" for SQLite."""
    try:
        url = make_url(sqlalchemy_url)
    except ArgumentError as error:
        raise SettingsError("The database URL is not a valid SQLAlchemy URL.") from error
    backend = url.get_backend_name()
    if backend in ("mysql", "mariadb"):
        return MYSQL
    if backend == SQLITE:
        return SQLITE
    if backend == POSTGRESQL and url.get_driver_name() == POSTGRESQL_DRIVER:
        return POSTGRESQL
    if backend == POSTGRESQL:
        raise SettingsError(
            "PostgreSQL URLs must use the psycopg driver: postgresql+psycopg://user@host/db."
        )
    raise SettingsError(
        f"Database URLs of kind {backend!r} are not supported; use mysql+pymysql://, "
        "mariadb+pymysql://, postgresql+psycopg:// or sqlite:///."
    )
