"""On a real MariaDB: YEAR() of a year kept as a number finds nothing; the repair finds it.

The schema comes from the database itself (`introspect`, so the sampled values decide for
the text column), and both queries run on the server.
"""

from __future__ import annotations

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
