"""On a real MariaDB: what the schema check repairs fails there as written, and runs repaired.

A column taken from the wrong table (another alias, a neighbour not joined, a join on a
column one table lacks) is an error there; joined on the foreign key it runs, and reads
what the rest of the query read before (an outer query's column, an outer join's rows).

YEAR() of a year kept as a number finds nothing; a LIMITed subquery under IN/ANY/ALL is
refused by the server.

The schema comes from the database itself (`introspect`, so the sampled values decide for
the text column), and both queries run on the server.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.domain import AccessPolicy
from backend.schema import introspect
from backend.schema_view import SchemaView
from backend.sql_validate import validate_sql

ROWS = [(1, 1975, "1975"), (2, 1979, "1979"), (3, 1988, "1988"), (4, 1979, "1979")]


def test_the_repaired_query_counts_what_the_original_missed(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TABLE cars (id INT PRIMARY KEY, model_year INT, built VARCHAR(4))")
            )
            conn.execute(
                sa.text("INSERT INTO cars VALUES (:i, :y, :b)"),
                [{"i": i, "y": y, "b": b} for i, y, b in ROWS],
            )
        view = SchemaView(introspect(engine))
        for column in ("model_year", "built"):
            sql = f"SELECT COUNT(*) FROM cars WHERE YEAR({column}) < 1980"
            checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
            assert checked.repaired
            with engine.connect() as conn:
                assert conn.execute(sa.text(sql)).scalar() == 0
                assert conn.execute(sa.text(checked.sql)).scalar() == 3
    finally:
        engine.dispose()


LIMITED = [
    "SELECT name FROM shops WHERE id IN (SELECT shop_id FROM sales ORDER BY amount DESC LIMIT 2)",
    "SELECT name FROM shops WHERE id NOT IN (SELECT shop_id FROM sales ORDER BY amount LIMIT 1)",
    "SELECT name FROM shops WHERE id = ANY (SELECT shop_id FROM sales ORDER BY amount LIMIT 2)",
    "SELECT name FROM shops WHERE id >= ALL (SELECT shop_id FROM sales LIMIT 3)",
    "SELECT name FROM shops AS limited WHERE id IN (SELECT shop_id FROM sales LIMIT 1)",
]


def test_limited_subqueries_under_in_any_all_run_after_the_repair(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE shops (id INT PRIMARY KEY, name VARCHAR(20))"))
            conn.execute(sa.text("CREATE TABLE sales (shop_id INT, amount INT)"))
            conn.execute(
                sa.text("INSERT INTO shops VALUES (1, 'north'), (2, 'south'), (3, 'east')")
            )
            conn.execute(sa.text("INSERT INTO sales VALUES (1, 10), (2, 30), (3, 20), (1, 5)"))
        view = SchemaView(introspect(engine))
        for sql in LIMITED:
            checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
            assert checked.ok and checked.repaired, sql
            refused = pytest.raises(sa.exc.DBAPIError, match="LIMIT & IN/ALL/ANY/SOME")
            with engine.connect() as conn, refused:
                conn.execute(sa.text(sql))
            with engine.connect() as conn:
                conn.execute(sa.text(checked.sql)).fetchall()
        top_two = validate_sql(LIMITED[0], view=view, dialect="mysql", policy=AccessPolicy())
        with engine.connect() as conn:
            names = {row[0] for row in conn.execute(sa.text(top_two.sql))}
        assert names == {"south", "east"}
    finally:
        engine.dispose()


def test_a_datetime_up_to_the_months_last_day_counts_that_days_rows(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE visits (id INT PRIMARY KEY, arrived_at DATETIME)"))
            conn.execute(
                sa.text("INSERT INTO visits VALUES (:i, :t)"),
                [
                    {"i": 1, "t": "2025-03-01 00:00:00"},
                    {"i": 2, "t": "2025-03-15 12:30:00"},
                    {"i": 3, "t": "2025-03-31 00:00:00"},
                    {"i": 4, "t": "2025-03-31 17:45:00"},  # lost by the query as written
                    {"i": 5, "t": "2025-04-01 00:00:00"},
                ],
            )
        view = SchemaView(introspect(engine))
        sql = "SELECT COUNT(*) FROM visits WHERE arrived_at BETWEEN '2025-03-01' AND '2025-03-31'"
        checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
        assert checked.repaired
        with engine.connect() as conn:
            assert conn.execute(sa.text(sql)).scalar() == 3
            assert conn.execute(sa.text(checked.sql)).scalar() == 4
    finally:
        engine.dispose()


WRONG_TABLE = [
    # a neighbour's column read without joining the neighbour
    ("SELECT name, fee FROM visits WHERE speciality = 'skin' ORDER BY fee", [("ann", 40)]),
    # the wrong alias
    ("SELECT v.name FROM visits v JOIN vets d ON d.id = v.vet_id WHERE v.fee > 45", [("bob",)]),
    # joined on a column one table lacks
    ("SELECT COUNT(*) FROM visits v JOIN vets d ON v.vet = d.id WHERE d.name = 'bob'", [(2,)]),
    # the outer query's city, not the joined vet's, in a subquery that gains a join
    (
        "SELECT c.id FROM clients c WHERE EXISTS (SELECT 1 FROM visits "
        "WHERE visits.client_id = c.id AND speciality = 'eyes' AND city = 'Oslo')",
        [(1,)],
    ),
    # a client without visits stays, as the LEFT JOIN asks
    (
        "SELECT c.id, speciality FROM clients c LEFT JOIN visits v ON v.client_id = c.id "
        "ORDER BY c.id, speciality",
        [(1, "eyes"), (1, "skin"), (2, "eyes"), (3, None)],
    ),
]


@pytest.mark.parametrize(("sql", "rows"), WRONG_TABLE)
def test_a_column_of_the_wrong_table_fails_as_written_and_runs_joined(
    mysql_url: str, sql: str, rows: list[tuple[object, ...]]
) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE vets "
                    "(id INT PRIMARY KEY, name VARCHAR(9), speciality TEXT, city VARCHAR(9))"
                )
            )
            conn.execute(sa.text("CREATE TABLE clients (id INT PRIMARY KEY, city VARCHAR(9))"))
            conn.execute(
                sa.text(
                    "CREATE TABLE visits (id INT PRIMARY KEY, vet_id INT, client_id INT, fee INT, "
                    "FOREIGN KEY (vet_id) REFERENCES vets (id), "
                    "FOREIGN KEY (client_id) REFERENCES clients (id))"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO vets VALUES (1, 'ann', 'skin', 'Oslo'), (2, 'bob', 'eyes', 'Rome')"
                )
            )
            conn.execute(
                sa.text("INSERT INTO clients VALUES (1, 'Oslo'), (2, 'Rome'), (3, 'Oslo')")
            )
            conn.execute(
                sa.text("INSERT INTO visits VALUES (1, 1, 1, 40), (2, 2, 1, 50), (3, 2, 2, 30)")
            )
        view = SchemaView(introspect(engine))
        checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
        assert checked.ok and checked.repaired
        with engine.connect() as conn:
            with pytest.raises(sa.exc.OperationalError, match="Unknown column"):
                conn.execute(sa.text(sql))
            assert [tuple(r) for r in conn.execute(sa.text(checked.sql))] == rows
    finally:
        engine.dispose()


def test_a_one_row_with_query_used_as_a_value_fails_as_written_and_runs_repaired(
    mysql_url: str,
) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE batches (id INT PRIMARY KEY, loaves INT)"))
            conn.execute(sa.text("INSERT INTO batches VALUES (1, 10), (2, 40), (3, 30)"))
        view = SchemaView(introspect(engine))
        sql = (
            "WITH mean AS (SELECT AVG(loaves) AS average FROM batches) "
            "SELECT id FROM batches WHERE loaves > mean.average ORDER BY id"
        )
        checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
        assert checked.ok and checked.repaired
        with engine.connect() as conn:
            with pytest.raises(sa.exc.OperationalError, match="Unknown column"):
                conn.execute(sa.text(sql))
            assert [tuple(r) for r in conn.execute(sa.text(checked.sql))] == [(2,), (3,)]
    finally:
        engine.dispose()


def test_a_join_that_only_repeats_rows_returns_each_row_once_repaired(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE shops (id INT PRIMARY KEY, area INT)"))
            conn.execute(
                sa.text(
                    "CREATE TABLE sales (id INT PRIMARY KEY, shop_id INT, "
                    "FOREIGN KEY (shop_id) REFERENCES shops (id))"
                )
            )
            conn.execute(sa.text("INSERT INTO shops VALUES (1, 100), (2, 50), (3, 70)"))
            conn.execute(sa.text("INSERT INTO sales VALUES (1, 1), (2, 1), (3, 1), (4, 2)"))
        view = SchemaView(introspect(engine))
        sql = (
            "SELECT SUM(s.area) AS area FROM shops AS s "
            "JOIN sales AS x ON s.id = x.shop_id WHERE s.area > 10"
        )
        checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
        assert checked.ok and checked.repaired
        with engine.connect() as conn:
            assert conn.execute(sa.text(sql)).scalar() == 350  # shop 1 counted three times
            # each shop with a sale once; shop 3 has none, as the join said
            assert conn.execute(sa.text(checked.sql)).scalar() == 150
    finally:
        engine.dispose()
