"""`column_hints`: money, means and labels read from the SQL behind a result."""

from __future__ import annotations

from backend.charts import NO_HINTS, ColumnHints
from backend.domain import ColumnDoc, TableDoc
from backend.knowledge.model import APPROVED, Entry, Knowledge
from backend.result_columns import column_hints


def table(name: str, **columns: str) -> TableDoc:
    return TableDoc(name, tuple(ColumnDoc(column, kind) for column, kind in columns.items()))


TABLES = {
    "payments": table(
        "payments",
        payment_id="INTEGER",
        order_id="INTEGER",
        amount="DECIMAL(12, 2)",
        method="VARCHAR(20)",
    ),
    "order_items": table(
        "order_items",
        order_id="INTEGER",
        quantity="INTEGER",
        unit_price="DECIMAL(12, 2)",
        discount="DECIMAL(4, 2)",
    ),
    "tickets": table("tickets", ticket_id="INTEGER", total="INTEGER", score="FLOAT"),
}
KNOWLEDGE = Knowledge(
    {
        ("payments", ""): Entry("payments", synonyms_es=("pagos", "cobros"), status=APPROVED),
        ("payments", "method"): Entry(
            "payments", "method", synonyms_en=("payment type",), synonyms_es=("método de pago",)
        ),
    }
)


def hints(
    sql: str, columns: list[str], language: str = "es", *, include_drafts: bool = True
) -> ColumnHints:
    return column_hints(
        sql,
        columns,
        dialect="mysql",
        tables=TABLES,
        knowledge=KNOWLEDGE,
        language=language,
        include_drafts=include_drafts,
    )


def test_a_mean_of_an_amount_computed_in_a_derived_table_is_money_and_a_mean() -> None:
    sql = (
        "SELECT ROUND(AVG(t.order_value), 2) AS avg_order_value FROM ("
        " SELECT oi.order_id, SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS order_value"
        " FROM order_items oi GROUP BY oi.order_id) AS t"
    )
    found = hints(sql, ["avg_order_value"])
    assert found.money == {"avg_order_value"}
    assert found.averages == {"avg_order_value"}


def test_through_a_with_query_counts_conditions_and_ratios_are_not_money() -> None:
    sql = (
        "WITH v AS (SELECT order_id, SUM(unit_price * quantity) AS spent FROM order_items"
        " GROUP BY order_id)"
        " SELECT AVG(spent), SUM(CASE WHEN spent > 100 THEN 1 ELSE 0 END) AS big,"
        " SUM(spent) / COUNT(*) AS per_order, SUM(spent) / SUM(spent) AS ratio,"
        " COUNT(DISTINCT spent) AS kinds FROM v"
    )
    found = hints(sql, ["AVG(spent)", "big", "per_order", "ratio", "kinds"])
    assert found.money == {"AVG(spent)", "per_order"}
    assert found.averages == {"AVG(spent)"}


def test_an_integer_total_and_a_score_are_not_money() -> None:
    found = hints("SELECT AVG(total) AS a, AVG(score) AS b FROM tickets", ["a", "b"])
    assert found.money == frozenset()
    assert found.averages == {"a", "b"}


def test_spanish_labels_come_from_the_knowledge_of_the_column_and_the_counted_table() -> None:
    sql = "SELECT p.method AS payment_method, COUNT(*) AS payments FROM payments p GROUP BY 1"
    found = hints(sql, ["payment_method", "payments"])
    assert found.labels == {"payment_method": "método de pago", "payments": "pagos"}
    # Through a filtered derived table, as the guard rewrites a row filter.
    sql = "SELECT x.method FROM (SELECT * FROM payments WHERE order_id > 3 LIMIT 9) AS x"
    assert hints(sql, ["method"]).labels == {"method": "método de pago"}


def test_english_keeps_column_names_and_drafts_can_be_left_out() -> None:
    sql = "SELECT method, COUNT(*) AS payments FROM payments GROUP BY method"
    assert hints(sql, ["method", "payments"], language="en").labels == {}
    assert hints(sql, ["method", "payments"], include_drafts=False).labels == {"payments": "pagos"}


def test_what_cannot_be_followed_gives_no_hints() -> None:
    assert (
        hints("SELECT * FROM payments", ["payment_id", "order_id", "amount", "method"]) == NO_HINTS
    )
    assert hints("SELEC amount FROM payments", ["amount"]) == NO_HINTS
    assert hints("SELECT amount FROM payments", ["amount", "extra"]) == NO_HINTS
    assert hints("SELECT amount FROM nowhere", ["amount"]).money == frozenset()


def test_a_count_of_a_tables_rows_names_the_table_in_the_readers_words() -> None:
    sql = (
        "SELECT COUNT(*) AS n, COUNT(p.order_id) AS paid, COUNT(DISTINCT method) AS kinds"
        " FROM payments p"
    )
    columns = ["n", "paid", "kinds"]
    assert hints(sql, columns).counted == {"n": "pagos", "paid": "pagos"}
    assert hints(sql, columns, language="en").counted == {"n": "payments", "paid": "payments"}
    assert hints(sql, columns).counts == {"n", "paid", "kinds"}
    # Without a synonym: the glossary's Spanish word, else the humanised English name.
    assert hints("SELECT COUNT(*) FROM order_items", ["COUNT(*)"]).counted == {
        "COUNT(*)": "order items"
    }


def test_joins_filters_groups_and_other_counts() -> None:
    joined = (
        "SELECT COUNT(*) AS payments FROM payments p JOIN order_items i ON i.order_id = p.order_id"
    )
    assert hints(joined, ["payments"], language="en").counted == {"payments": "payments"}
    assert hints(joined.replace("AS payments", "AS c"), ["c"]).counted == {}
    filtered = "SELECT COUNT(*) AS c FROM (SELECT * FROM payments WHERE amount > 5 LIMIT 99) AS x"
    assert hints(filtered, ["c"], language="en").counted == {"c": "payments"}
    grouped = "SELECT COUNT(*) AS c FROM (SELECT order_id FROM payments GROUP BY order_id) AS x"
    assert hints(grouped, ["c"]).counted == {}
    assert hints(grouped, ["c"]).counts == {"c"}
    conditional = (
        "SELECT COUNT(CASE WHEN amount > 5 THEN 1 END) AS big, SUM(amount) AS s FROM payments"
    )
    found = hints(conditional, ["big", "s"])
    assert (found.counted, found.counts) == ({}, {"big"})
