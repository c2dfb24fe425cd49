"""`same_query`: the SQL that ran is shown apart only when the guard changed more than
its spelling and the row cap."""

from __future__ import annotations

import pytest

from backend.sql_guard import check_sql
from backend.sql_same import same_query

SCHEMA = {"regions": ["region_id", "name", "code"]}


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
@pytest.mark.parametrize(
    "written",
    [
        "select region_id, name from regions where region_id <= 3;",
        "SELECT /* the first ones */ name\n  FROM regions r",
        "select name from regions limit 2",
    ],
)
def test_a_query_the_guard_only_respelled_and_capped_is_the_same(
    written: str, dialect: str
) -> None:
    ran = check_sql(written, schema=SCHEMA, dialect=dialect, row_limit=1000).sql
    assert ran != written
    assert same_query(written, ran, dialect)


def test_a_lowered_limit_or_a_row_filter_is_a_change() -> None:
    written = "SELECT name FROM regions LIMIT 5000"
    ran = check_sql(written, schema=SCHEMA, dialect="mysql", row_limit=1000).sql
    assert not same_query(written, ran, "mysql")
    filtered = "SELECT name FROM (SELECT * FROM regions WHERE code = 'EU') AS regions LIMIT 5"
    assert not same_query("SELECT name FROM regions", filtered, "mysql")


def test_sql_that_does_not_parse_is_compared_as_text() -> None:
    assert same_query("SELEC  name FROM x;", "selec name from x", "mysql")
    assert not same_query("SELEC name FROM x", "SELEC code FROM x", "mysql")
