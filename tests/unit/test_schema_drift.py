"""The structural comparison behind the schema drift check: tables, columns and keys
added, removed or changed; comments, samples, row counts and knowledge ignored."""

from __future__ import annotations

from dataclasses import replace

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.schema_drift import SchemaChange, fingerprint, schema_changes

CUSTOMERS = TableDoc(
    "customers",
    (ColumnDoc("id", "INT", nullable=False, primary_key=True), ColumnDoc("name", "VARCHAR(80)")),
)
ORDERS = TableDoc(
    "orders",
    (
        ColumnDoc("id", "INT", nullable=False, primary_key=True),
        ColumnDoc("customer_id", "INT", nullable=False),
        ColumnDoc("amount", "DECIMAL(10,2)"),
    ),
    foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
)


def test_the_same_structure_is_in_sync_whatever_its_comments_samples_and_knowledge() -> None:
    described = replace(
        ORDERS,
        comment="every sale",
        row_estimate=10_000,
        description="Orders placed by customers",
        synonyms=("sales",),
        columns=tuple(replace(c, sample_values=("1", "2"), comment="x") for c in ORDERS.columns),
    )
    assert schema_changes([CUSTOMERS, ORDERS], [described, CUSTOMERS]) == []
    assert fingerprint([CUSTOMERS, ORDERS]) == fingerprint([described, CUSTOMERS])


def test_tables_added_and_removed() -> None:
    refunds = TableDoc("refunds", (ColumnDoc("id", "INT", primary_key=True),))
    changes = schema_changes([CUSTOMERS, ORDERS], [ORDERS, refunds])
    assert changes == [
        SchemaChange("table", "added", "refunds"),
        SchemaChange("table", "removed", "customers"),
    ]
    assert fingerprint([CUSTOMERS, ORDERS]) != fingerprint([ORDERS, refunds])


def test_columns_added_removed_and_changed_in_type_or_nullability() -> None:
    changed = replace(
        ORDERS,
        columns=(
            ORDERS.columns[0],
            replace(ORDERS.columns[1], nullable=True),
            ColumnDoc("discount", "DECIMAL(5,2)"),
        ),
    )
    assert schema_changes([ORDERS], [changed]) == [
        SchemaChange("column", "changed", "orders", "customer_id", "INT NOT NULL", "INT"),
        SchemaChange("column", "added", "orders", "discount", after="DECIMAL(5,2)"),
        SchemaChange("column", "removed", "orders", "amount", before="DECIMAL(10,2)"),
    ]


def test_primary_and_foreign_keys_added_removed_and_changed() -> None:
    rekeyed = replace(
        ORDERS,
        columns=(replace(ORDERS.columns[0], primary_key=False), *ORDERS.columns[1:]),
        foreign_keys=(ForeignKey(("amount",), "prices", ("amount",)),),
    )
    assert schema_changes([ORDERS], [rekeyed]) == [
        SchemaChange("key", "removed", "orders", "PRIMARY KEY", before="(id)"),
        SchemaChange("key", "added", "orders", "(amount) → prices(amount)"),
        SchemaChange("key", "removed", "orders", "(customer_id) → customers(id)"),
    ]
    two = replace(ORDERS, columns=tuple(replace(c, primary_key=True) for c in ORDERS.columns))
    [key] = [c for c in schema_changes([ORDERS], [two]) if c.kind == "key"]
    assert (key.change, key.before, key.after) == ("changed", "(id)", "(id, customer_id, amount)")


def test_a_change_reads_back_from_its_json() -> None:
    change = SchemaChange("column", "changed", "orders", "amount", "INT", "BIGINT")
    assert SchemaChange.from_json(change.to_json()) == change
