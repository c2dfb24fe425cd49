"""Rendering tables as compact DDL for prompts, and as documents for retrieval."""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc
from backend.schema_render import (
    humanize,
    identifier_words,
    question_columns,
    render_table,
    table_document,
)

ORDERS = TableDoc(
    name="orders",
    comment="One row per customer order",
    columns=(
        ColumnDoc("id", "INT", nullable=False, primary_key=True),
        ColumnDoc("customer_id", "INT", nullable=False, comment="Who ordered"),
        ColumnDoc("region", "VARCHAR(10)", sample_values=("APAC", "EMEA")),
        ColumnDoc("status", "VARCHAR(20)", comment="Order\nstatus", sample_values=("o'pen",)),
        ColumnDoc("margin", "DECIMAL(12,2)", comment="Internal margin"),
        ColumnDoc("order date", "DATE"),
    ),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
)


def test_render_table_writes_compact_ddl() -> None:
    assert render_table(ORDERS) == (
        "CREATE TABLE orders ( -- One row per customer order\n"
        "  id INT PRIMARY KEY,\n"
        "  customer_id INT NOT NULL, -- Who ordered\n"
        "  region VARCHAR(10), -- e.g. 'APAC', 'EMEA'\n"
        "  status VARCHAR(20), -- Order status; e.g. 'o''pen'\n"
        "  margin DECIMAL(12,2), -- Internal margin\n"
        "  `order date` DATE,\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers(id)\n"
        ");"
    )


def test_render_without_samples_keeps_comments() -> None:
    text = render_table(ORDERS, with_samples=False)
    assert "e.g." not in text
    assert "-- Who ordered" in text


def test_policy_hides_denied_columns_and_their_foreign_keys() -> None:
    policy = AccessPolicy(
        denied_columns=frozenset({("orders", "margin"), ("orders", "customer_id")})
    )
    text = render_table(ORDERS, policy=policy)
    assert "margin" not in text
    assert "Internal" not in text
    assert "customer_id" not in text
    assert "FOREIGN KEY" not in text
    assert text.splitlines()[-2] == "  `order date` DATE"  # no dangling comma


def test_foreign_keys_to_forbidden_tables_are_hidden() -> None:
    policy = AccessPolicy(allowed_tables=frozenset({"orders"}))
    text = render_table(ORDERS, policy=policy)
    assert "customers" not in text
    assert "customer_id INT NOT NULL" in text


def test_rendering_a_forbidden_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        render_table(ORDERS, policy=AccessPolicy(allowed_tables=frozenset({"customers"})))


def test_composite_primary_key_gets_its_own_line() -> None:
    table = TableDoc(
        "order_items",
        (
            ColumnDoc("order_id", "INT", nullable=False, primary_key=True),
            ColumnDoc("line_no", "INT", nullable=False, primary_key=True),
        ),
    )
    assert render_table(table) == (
        "CREATE TABLE order_items (\n"
        "  order_id INT NOT NULL,\n"
        "  line_no INT NOT NULL,\n"
        "  PRIMARY KEY (order_id, line_no)\n"
        ");"
    )


def test_identifiers_are_split_into_words() -> None:
    assert identifier_words("OrderItems_2024") == ["order", "items", "2024"]
    assert humanize("order_items") == "order items"
    assert humanize("unitPriceEUR") == "unit price eur"


def test_table_document_has_humanised_names_comments_references_and_samples() -> None:
    document = table_document(ORDERS)
    assert document.startswith("table orders\nOne row per customer order\n")
    assert "; customer id: Who ordered; region e.g. APAC, EMEA;" in document
    assert "order date" in document
    assert document.endswith("\nreferences: customers")
    assert table_document(TableDoc("OrderItems", ())).startswith("table OrderItems (order items)")


def test_outputs_are_deterministic() -> None:
    assert render_table(ORDERS) == render_table(ORDERS)
    assert table_document(ORDERS) == table_document(ORDERS)


def test_compact_rendering_keeps_every_column_and_key_but_trims_the_rest() -> None:
    samples = tuple(f"value number {i} with a long tail of words" for i in range(6))
    table = TableDoc(
        "orders",
        (*ORDERS.columns, ColumnDoc("channel", "VARCHAR(20)", sample_values=samples)),
        comment="One row per customer order, " + "with a very long explanation " * 5,
        foreign_keys=ORDERS.foreign_keys,
    )
    full, compact = render_table(table), render_table(table, compact=True)
    assert len(compact) < len(full)
    for column in table.columns:
        assert column.name.split()[0] in compact
    assert "FOREIGN KEY (customer_id) REFERENCES customers(id)" in compact
    assert "id INT PRIMARY KEY" in compact and "NOT NULL" not in compact
    assert "'value number 2" in compact and "'value number 3" not in compact
    assert len(compact.splitlines()[0]) < 100


def test_capped_rendering_writes_keys_and_asked_columns_in_full_and_names_the_rest() -> None:
    wide = TableDoc(
        "events",
        (
            ColumnDoc("id", "INT", nullable=False, primary_key=True),
            ColumnDoc("customer_id", "INT"),
            *(ColumnDoc(f"metric_{i}", "INT") for i in range(40)),
            ColumnDoc("revenue", "DECIMAL(12,2)", comment="Net revenue"),
        ),
        foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
    )
    prefer = question_columns(wide, "Revenue per customer last month")
    assert prefer == frozenset({"customer_id", "revenue"})
    text = render_table(wide, compact=True, max_columns=4, prefer=prefer)
    lines = text.splitlines()
    assert "  id INT PRIMARY KEY," in lines and "  customer_id INT," in lines
    assert "  revenue DECIMAL(12,2), -- Net revenue" in lines
    assert "  metric_0 INT," in lines and "  metric_1 INT," not in lines
    assert "-- more columns: metric_1, metric_2" in text and "others" in text
    assert lines[-1] == ");" and "REFERENCES customers(id)" in text
