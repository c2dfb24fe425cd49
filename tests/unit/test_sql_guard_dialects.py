"""Dialect names, URL detection and the MariaDB-safe generator used by the SQL guard."""

from __future__ import annotations

import pytest
import sqlglot

from backend.dialects import (
    MariaDB,
    PostgreSQL,
    canonical_dialect,
    dialect_for_url,
    sqlglot_dialect,
)
from backend.errors import SettingsError


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("mysql+pymysql://app:secret@db:3306/shop", "mysql"),
        ("mariadb+pymysql://app@localhost/shop", "mysql"),
        ("mysql://root@127.0.0.1/x", "mysql"),
        ("sqlite:///data/demo.db", "sqlite"),
        ("sqlite://", "sqlite"),
        ("sqlite+pysqlite:///:memory:", "sqlite"),
        ("postgresql+psycopg://app:secret@db:5432/shop", "postgresql"),
        ("postgresql://app@db/shop", "postgresql"),  # SQLAlchemy 2.1's default: psycopg
    ],
)
def test_dialect_for_url(url: str, dialect: str) -> None:
    assert dialect_for_url(url) == dialect


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://u:secret@h/db",  # Keskinube installs psycopg 3 only
        "postgresql+asyncpg://u:secret@h/db",
        "not a url",
        "oracle+cx://u@h/db",
    ],
)
def test_dialect_for_url_refuses_unsupported_urls_without_echoing_them(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        dialect_for_url(url)
    assert "secret" not in str(caught.value)


def test_dialect_names_map_to_sqlglot_dialects() -> None:
    assert isinstance(sqlglot_dialect("mysql"), MariaDB)
    assert isinstance(sqlglot_dialect("MariaDB"), MariaDB)
    assert type(sqlglot_dialect("sqlite")).__name__ == "SQLite"
    assert canonical_dialect("mariadb") == "mysql"
    assert isinstance(sqlglot_dialect("postgres"), PostgreSQL)
    assert canonical_dialect("postgres") == "postgresql"
    with pytest.raises(ValueError, match="Unknown SQL dialect"):
        sqlglot_dialect("oracle")


@pytest.mark.parametrize(
    ("mysql_sql", "mariadb_sql"),
    [
        ("SELECT a FROM t WHERE a REGEXP '^x'", "SELECT a FROM t WHERE a REGEXP '^x'"),
        ("SELECT a FROM t WHERE a NOT REGEXP 'x'", "SELECT a FROM t WHERE NOT a REGEXP 'x'"),
        ("SELECT a FROM t WHERE a RLIKE 'x'", "SELECT a FROM t WHERE a REGEXP 'x'"),
        ("SELECT (a REGEXP 'x') = 1 FROM t", "SELECT (a REGEXP 'x') = 1 FROM t"),
        ("SELECT REGEXP_LIKE(a, 'x') = 1 FROM t", "SELECT (a REGEXP 'x') = 1 FROM t"),
        ("SELECT REGEXP_LIKE(a, 'x', 'i') FROM t", "SELECT REGEXP_LIKE(a, 'x', 'i') FROM t"),
        ("SELECT 1 FROM dual", "SELECT 1 FROM DUAL"),
        ("SELECT 1 FROM DUAL WHERE 1 = 1", "SELECT 1 FROM DUAL WHERE 1 = 1"),
        ("SELECT UTC_DATE()", "SELECT UTC_DATE()"),
        ("SELECT MEDIAN(n) OVER () FROM t", "SELECT MEDIAN(n) OVER () FROM t"),
        ("SELECT j ->> '$.a' FROM t", "SELECT JSON_UNQUOTE(JSON_EXTRACT(j, '$.a')) FROM t"),
        ("SELECT j -> '$.a' FROM t", "SELECT JSON_EXTRACT(j, '$.a') FROM t"),
    ],
)
def test_mariadb_generator_writes_what_mariadb_runs(mysql_sql: str, mariadb_sql: str) -> None:
    tree = sqlglot.parse_one(mysql_sql, read=MariaDB())
    assert tree.sql(dialect=MariaDB()) == mariadb_sql


def test_plain_mysql_generator_still_has_the_traps() -> None:
    # Documents why MariaDB exists: if sqlglot fixes these, the subclass can shrink.
    tree = sqlglot.parse_one("SELECT a REGEXP 'x' FROM dual", read="mysql")
    assert tree.sql(dialect="mysql") == "SELECT REGEXP_LIKE(a, 'x') FROM `dual`"


@pytest.mark.parametrize(
    ("sql", "postgresql_sql"),
    [
        ("SELECT current_time", "SELECT CURRENT_TIME"),
        ("SELECT current_time(2)", "SELECT CURRENT_TIME(2)"),
        ("SELECT now()", "SELECT CURRENT_TIMESTAMP"),
        ("SELECT a FROM t WHERE a ILIKE 'x%'", "SELECT a FROM t WHERE a ILIKE 'x%'"),
    ],
)
def test_postgresql_generator_writes_what_postgresql_runs(sql: str, postgresql_sql: str) -> None:
    tree = sqlglot.parse_one(sql, read=PostgreSQL())
    assert tree.sql(dialect=PostgreSQL()) == postgresql_sql
