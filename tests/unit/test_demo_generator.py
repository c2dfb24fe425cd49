"""The demo data generator, without a database: determinism, shape, and the story it tells."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest

from backend.demo.schema import DEMO_TABLE_NAMES, metadata
from cli import demo_db as cli
from demo_data import spec as spec_module
from demo_data.generator import generate
from demo_data.spec import DemoSpec

SMALL = DemoSpec(orders=1_000)


def collect(spec: DemoSpec, chunk_orders: int = 10_000) -> dict[str, list[tuple[object, ...]]]:
    tables: dict[str, list[tuple[object, ...]]] = {name: [] for name in DEMO_TABLE_NAMES}
    for batch in generate(spec, chunk_orders=chunk_orders):
        for name, rows in batch.items():
            tables[name].extend(rows)
    return tables


def digest(spec: DemoSpec, chunk_orders: int = 10_000) -> dict[str, str]:
    """One hash per table, whatever the chunking."""
    hashers = {name: hashlib.sha256() for name in DEMO_TABLE_NAMES}
    for batch in generate(spec, chunk_orders=chunk_orders):
        for name, rows in batch.items():
            for row in rows:
                hashers[name].update(repr(row).encode())
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


@pytest.fixture(scope="module")
def small() -> dict[str, list[tuple[object, ...]]]:
    return collect(SMALL)


@pytest.fixture(scope="module")
def year_round() -> dict[str, list[tuple[object, ...]]]:
    return collect(DemoSpec(orders=30_000))


def test_same_seed_gives_identical_rows() -> None:
    assert digest(SMALL) == digest(DemoSpec(orders=1_000))


def test_chunk_size_does_not_change_the_rows() -> None:
    assert digest(SMALL, chunk_orders=137) == digest(SMALL, chunk_orders=10_000)


def test_different_seed_or_size_gives_different_rows() -> None:
    reference = digest(SMALL)
    reseeded = digest(DemoSpec(orders=1_000, seed=7))
    assert all(reseeded[name] != reference[name] for name in ("customers", "orders", "returns"))
    assert digest(DemoSpec(orders=1_001))["orders"] != reference["orders"]


def test_generates_exactly_the_orders_asked_for(small: dict[str, list[tuple[object, ...]]]) -> None:
    assert [row[0] for row in small["orders"]] == list(range(1, 1_001))
    assert len(small["customers"]) == SMALL.customers
    for name in DEMO_TABLE_NAMES:
        assert small[name], f"{name} is empty"


def test_rows_have_one_value_per_schema_column(small: dict[str, list[tuple[object, ...]]]) -> None:
    for name, rows in small.items():
        width = len(metadata.tables[name].columns)
        assert {len(row) for row in rows} == {width}, name


def test_primary_keys_are_unique(small: dict[str, list[tuple[object, ...]]]) -> None:
    for name, rows in small.items():
        assert len({row[0] for row in rows}) == len(rows), name


def test_orders_are_in_date_order_inside_the_window(
    small: dict[str, list[tuple[object, ...]]],
) -> None:
    dates = [str(row[3]) for row in small["orders"]]
    assert dates == sorted(dates)
    assert dates[0] >= "2023-10-01" and dates[-1] <= "2026-09-30"


def test_window_is_three_years_ending_on_the_end_date() -> None:
    assert SMALL.start_date == date(2023, 10, 1)
    assert SMALL.days == 1096
    leap = DemoSpec(orders=1_000, end_date=date(2028, 2, 28))
    assert leap.start_date == date(2025, 2, 28)


def test_fourth_quarter_outsells_the_third(year_round: dict[str, list[tuple[object, ...]]]) -> None:
    by_quarter = Counter()
    for row in year_round["orders"]:
        day = str(row[3])
        if day.startswith("2025"):
            by_quarter[(int(day[5:7]) - 1) // 3 + 1] += 1
    assert by_quarter[4] > 1.2 * by_quarter[3]


def test_weekends_are_quieter(year_round: dict[str, list[tuple[object, ...]]]) -> None:
    weekdays = Counter(date.fromisoformat(str(row[3])).weekday() for row in year_round["orders"])
    assert weekdays[6] < 0.5 * weekdays[1]


def test_a_few_customers_and_products_sell_far_more(
    year_round: dict[str, list[tuple[object, ...]]],
) -> None:
    per_customer = sorted(Counter(row[1] for row in year_round["orders"]).values(), reverse=True)
    top_tenth = sum(per_customer[: len(year_round["customers"]) // 10])
    assert top_tenth > 0.4 * len(year_round["orders"])
    per_product = sorted(Counter(row[2] for row in year_round["order_items"]).values())
    assert per_product[-1] > 10 * per_product[len(per_product) // 10]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("customers", "email"),
        ("customers", "phone"),
        ("customers", "account_manager_id"),
        ("employees", "manager_id"),
        ("employees", "commission_rate"),
        ("orders", "employee_id"),
        ("orders", "discount_code"),
        ("shipments", "tracking_number"),
        ("shipments", "delivered_at"),
        ("returns", "reason"),
        ("suppliers", "contact_email"),
        ("products", "discontinued_on"),
    ],
)
def test_nullable_columns_hold_some_nulls_and_some_values(
    year_round: dict[str, list[tuple[object, ...]]], table: str, column: str
) -> None:
    position = list(metadata.tables[table].columns.keys()).index(column)
    values = [row[position] for row in year_round[table]]
    assert None in values
    assert any(value is not None for value in values)


def test_order_fates_are_consistent(small: dict[str, list[tuple[object, ...]]]) -> None:
    status = {row[0]: row[4] for row in small["orders"]}
    shipped = {row[1]: row for row in small["shipments"]}
    paid = {row[1] for row in small["payments"]}
    for order_id, state in status.items():
        if state in {"cancelled", "pending", "processing"}:
            assert order_id not in shipped, order_id
        if state == "delivered":
            assert shipped[order_id][5] is not None
        if state == "shipped":
            assert shipped[order_id][5] is None
        if state == "cancelled":
            assert order_id not in paid
    assert set(status.values()) == {"pending", "processing", "shipped", "delivered", "cancelled"}
    unpaid_delivered = [o for o, s in status.items() if s == "delivered" and o not in paid]
    assert unpaid_delivered, "some delivered orders should still be unpaid"


def test_events_never_happen_after_the_end_date(small: dict[str, list[tuple[object, ...]]]) -> None:
    last = "2026-09-30 23:59:59"
    stamps = [str(row[4]) for row in small["payments"]]
    stamps += [str(v) for row in small["shipments"] for v in row[4:6] if v is not None]
    stamps += [str(row[4]) for row in small["returns"]]
    assert max(stamps) <= last
    assert min(stamps) >= "2023-10-01"


def test_spec_refuses_sizes_out_of_range() -> None:
    with pytest.raises(ValueError, match="between"):
        DemoSpec(orders=10)


def test_cli_defaults_agree_with_the_generator() -> None:
    assert cli.MIN_ORDERS == spec_module.MIN_ORDERS
    assert cli.MAX_ORDERS == spec_module.MAX_ORDERS
    assert cli.DEFAULT_ORDERS == spec_module.DEFAULT_ORDERS
