"""choose_chart on result shapes as pandas 3 `read_sql` returns them, and chart_options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from backend.charts import ChartSpec, build_figure, chart_options, choose_chart
from backend.charts.columns import profile
from backend.charts.options import fits
from backend.summary import summarise


def text(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype="str")


def ints(values: list[int | None]) -> pd.Series:
    return pd.Series(values, dtype="Int64")


def days(count: int, start: str = "2024-01-01", freq: str = "D") -> pd.Series:
    return pd.Series(pd.date_range(start, periods=count, freq=freq), dtype="datetime64[us]")


def decimals(values: list[str]) -> pd.Series:
    return pd.Series([Decimal(v) for v in values], dtype=object)


def noise(count: int, seed: int = 0, scale: float = 1000.0) -> np.ndarray:
    return np.random.default_rng(seed).random(count) * scale


def countries(count: int, length: int = 2) -> pd.Series:
    return text([f"{'C' * (length - 2)}{i:02d}" for i in range(count)])


# name → (frame, expected "kind x y color" with "-" for none)
SHAPES: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    "empty_result": (
        lambda: pd.DataFrame({"revenue": pd.Series([], dtype="float64")}),
        "table - - -",
    ),
    "no_columns": (lambda: pd.DataFrame(), "table - - -"),
    "kpi_float": (lambda: pd.DataFrame({"total_revenue": [1_234_567.0]}), "kpi - total_revenue -"),
    "kpi_decimal_object": (
        lambda: pd.DataFrame({"SUM(amount)": decimals(["1234.50"])}),
        "kpi - SUM(amount) -",
    ),
    "kpi_count_int64": (lambda: pd.DataFrame({"COUNT(*)": ints([42])}), "kpi - COUNT(*) -"),
    "kpi_with_label": (
        lambda: pd.DataFrame({"country": text(["DE"]), "revenue": [310_000.0]}),
        "kpi - revenue -",
    ),
    "kpi_all_null": (
        lambda: pd.DataFrame({"SUM(amount)": pd.Series([None], dtype=object)}),
        "table - - -",
    ),
    "only_text": (
        lambda: pd.DataFrame({"name": text(["Ann", "Bob"]), "city": text(["A", "B"])}),
        "table - - -",
    ),
    "all_null_measure": (
        lambda: pd.DataFrame({"country": text(["DE", "FR"]), "revenue": [np.nan, np.nan]}),
        "table - - -",
    ),
    "category_float": (
        lambda: pd.DataFrame(
            {"country": text(["DE", "FR", "IT"]), "revenue": [310_000.0, 250_000.0, 90_000.0]}
        ),
        "bar country revenue -",
    ),
    "category_decimal_object": (
        lambda: pd.DataFrame(
            {"region": text(["North", "South"]), "amount": decimals(["12.50", "7.25"])}
        ),
        "bar region amount -",
    ),
    "category_nullable_count_with_null": (
        lambda: pd.DataFrame({"country": text(["DE", "FR", "IT"]), "orders": ints([5, None, 2])}),
        "bar country orders -",
    ),
    "long_labels": (
        lambda: pd.DataFrame({"product_name": countries(5, length=20), "revenue": noise(5)}),
        "barh product_name revenue -",
    ),
    "many_short_categories": (
        lambda: pd.DataFrame({"country": countries(15), "revenue": noise(15)}),
        "barh country revenue -",
    ),
    "two_categories_stack": (
        lambda: pd.DataFrame(
            {
                "country": text(["DE", "DE", "FR", "FR", "IT", "IT"]),
                "channel": text(["web", "shop"] * 3),
                "revenue": noise(6),
            }
        ),
        "bar country revenue channel",
    ),
    "money_sum_small_split_is_bar": (
        lambda: pd.DataFrame({"region": text(["N", "S", "E"]), "revenue": [5.0, 3.0, 2.0]}),
        "bar region revenue -",
    ),
    "count_per_status_donut": (
        lambda: pd.DataFrame(
            {"status": text(["open", "paid", "void"]), "COUNT(*)": ints([12, 80, 3])}
        ),
        "donut status COUNT(*) -",
    ),
    "bool_count_donut": (
        lambda: pd.DataFrame(
            {"is_active": pd.Series([True, False]), "n_customers": ints([120, 30])}
        ),
        "donut is_active n_customers -",
    ),
    "share_fraction_donut": (
        lambda: pd.DataFrame(
            {"channel": text(["web", "shop", "phone"]), "revenue_share": [0.55, 0.30, 0.15]}
        ),
        "donut channel revenue_share -",
    ),
    "pct_points_donut": (
        lambda: pd.DataFrame({"segment": text(["A", "B"]), "pct_of_orders": [62.5, 37.5]}),
        "donut segment pct_of_orders -",
    ),
    "share_not_whole_is_bar": (
        lambda: pd.DataFrame({"channel": text(["web", "shop"]), "share": [0.2, 0.3]}),
        "bar channel share -",
    ),
    "count_too_many_parts_is_bar": (
        lambda: pd.DataFrame({"status": countries(9), "count": ints(list(range(1, 10)))}),
        "bar status count -",
    ),
    "datetime_us_line": (
        lambda: pd.DataFrame({"order_date": days(30), "revenue": noise(30)}),
        "line order_date revenue -",
    ),
    "tz_aware_line": (
        lambda: pd.DataFrame(
            {
                "ts": pd.Series(
                    pd.date_range("2024-01-01", periods=6, freq="h", tz="Europe/Helsinki")
                ),
                "n_orders": ints([1, 2, 3, 4, 5, 6]),
            }
        ),
        "line ts n_orders -",
    ),
    "date_objects_line": (
        lambda: pd.DataFrame(
            {
                "day": pd.Series([dt.date(2024, 1, d) for d in range(1, 6)], dtype=object),
                "revenue": noise(5),
            }
        ),
        "line day revenue -",
    ),
    "iso_date_strings_line": (
        lambda: pd.DataFrame(
            {"order_date": text(["2024-01-03", "2024-01-01", "2024-01-02"]), "amount": noise(3)}
        ),
        "line order_date amount -",
    ),
    "month_strings_line": (
        lambda: pd.DataFrame(
            {"month": text(["2024-01", "2024-02", "2024-03"]), "revenue": noise(3)}
        ),
        "line month revenue -",
    ),
    "quarter_strings_line": (
        lambda: pd.DataFrame(
            {"quarter": text(["2024-Q1", "2024-Q2", "2024-Q3"]), "revenue": noise(3)}
        ),
        "line quarter revenue -",
    ),
    "year_int_line": (
        lambda: pd.DataFrame({"year": ints([2021, 2022, 2023, 2024]), "revenue": noise(4)}),
        "line year revenue -",
    ),
    "year_and_month_seasonal": (
        lambda: pd.DataFrame(
            {
                "year": ints([2023] * 12 + [2024] * 12),
                "month": ints(list(range(1, 13)) * 2),
                "revenue": noise(24),
            }
        ),
        "line month revenue year",
    ),
    "date_and_channel_series": (
        lambda: pd.DataFrame(
            {
                "month": text(["2024-01", "2024-01", "2024-02", "2024-02"]),
                "channel": text(["web", "shop"] * 2),
                "revenue": noise(4),
            }
        ),
        "line month revenue channel",
    ),
    "date_and_many_customers_no_series": (
        lambda: pd.DataFrame(
            {
                "day": days(60),
                "customer": countries(60),
                "revenue": noise(60),
            }
        ),
        "line day revenue -",
    ),
    "cumulative_revenue_is_measure": (
        lambda: pd.DataFrame(
            {
                "month": text([f"2024-{m:02d}" for m in range(1, 13)]),
                "cumulative_revenue": np.arange(1, 13, dtype="float64") * 1000,
            }
        ),
        "line month cumulative_revenue -",
    ),
    "single_period_then_bar": (
        lambda: pd.DataFrame(
            {
                "month": text(["2024-01"] * 3),
                "country": text(["DE", "FR", "IT"]),
                "revenue": noise(3),
            }
        ),
        "bar country revenue -",
    ),
    "two_measures_scatter": (
        lambda: pd.DataFrame({"price": noise(50, 1), "quantity": noise(50, 2)}),
        "scatter price quantity -",
    ),
    "ids_and_two_measures_scatter": (
        lambda: pd.DataFrame(
            {
                "customer_id": ints(list(range(1, 41))),
                "orders": ints(list(range(40, 0, -1))),
                "revenue": noise(40),
            }
        ),
        "scatter orders revenue -",
    ),
    "repeating_segment_grouped_scatter": (
        lambda: pd.DataFrame(
            {
                "segment": text(["retail", "b2b"] * 25),
                "age": noise(50, 3, 80),
                "spend": noise(50, 4),
            }
        ),
        "scatter age spend segment",
    ),
    "one_measure_many_rows_histogram": (
        lambda: pd.DataFrame({"amount": noise(500)}),
        "histogram amount - -",
    ),
    "id_plus_measure_many_rows_histogram": (
        lambda: pd.DataFrame({"order_id": ints(list(range(1, 201))), "total": noise(200)}),
        "histogram total - -",
    ),
    "unnamed_key_by_value_histogram": (
        lambda: pd.DataFrame({"seq": np.arange(100, 200, dtype="int64"), "amount": noise(100)}),
        "histogram amount - -",
    ),
    "few_ids_bar": (
        lambda: pd.DataFrame({"product_id": ints([11, 12, 13, 14]), "qty": ints([5, 3, 9, 1])}),
        "bar product_id qty -",
    ),
    "constant_category_histogram": (
        lambda: pd.DataFrame({"country": text(["DE"] * 30), "amount": noise(30)}),
        "histogram amount - -",
    ),
    "few_rows_single_measure_table": (
        lambda: pd.DataFrame({"price": [1.0, 2.0, 3.0]}),
        "table - - -",
    ),
    "duplicate_column_names_table": (
        lambda: pd.DataFrame([["a", "b"], ["c", "d"]], columns=["name", "name"]),
        "table - - -",
    ),
    "free_text_not_category": (
        lambda: pd.DataFrame({"comment": text(["x" * 80, "y" * 90]), "rating": [4.0, 5.0]}),
        "table - - -",
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_choose_chart_picks_the_analyst_chart(name: str) -> None:
    make, expected = SHAPES[name]
    spec = choose_chart(make())
    shown = " ".join(part or "-" for part in spec.axes)
    assert shown == expected, spec.reason
    assert spec.title and spec.reason


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_chosen_chart_fits_draws_and_summarises(name: str) -> None:
    frame = SHAPES[name][0]()
    spec = choose_chart(frame)
    options = chart_options(frame)
    assert options[0] == spec
    assert options[-1].kind == "table" or spec.kind == "table"
    assert len({o.axes for o in options}) == len(options)
    if not frame.empty:
        assert all(fits(option, profile(frame)) for option in options)
    figure = build_figure(frame, spec)
    assert (figure is None) == (spec.kind in {"kpi", "table"})
    assert summarise(frame, spec).endswith(".")


def test_id_columns_are_never_measures() -> None:
    frame = pd.DataFrame(
        {"customerId": ints([1, 2, 3]), "order_no": ints([7, 8, 9]), "revenue": [1.0, 2.0, 3.0]}
    )
    roles = {c.name: c.role for c in profile(frame).columns}
    assert roles == {"customerId": "id", "order_no": "id", "revenue": "measure"}


def test_year_range_integers_are_time_but_money_is_not() -> None:
    frame = pd.DataFrame({"fiscal_year": ints([2023, 2024]), "revenue": [2000.0, 2050.0]})
    roles = {c.name: (c.role, c.time_kind) for c in profile(frame).columns}
    assert roles == {"fiscal_year": ("time", "year"), "revenue": ("measure", None)}


def test_kpi_of_a_single_row_uses_the_first_measure() -> None:
    frame = pd.DataFrame({"revenue": [10.0], "orders": ints([3])})
    assert choose_chart(frame) == ChartSpec(
        "kpi", None, "revenue", None, "Revenue", "One row with a numeric value."
    )


def test_chart_options_offer_other_kinds_and_axes() -> None:
    frame = pd.DataFrame(
        {
            "country": text(["DE", "FR", "IT"]),
            "revenue": [3.0, 2.0, 1.0],
            "avg_price": [9.5, 8.0, 7.5],
        }
    )
    axes = {o.axes for o in chart_options(frame)}
    assert ("bar", "country", "revenue", None) in axes
    assert ("barh", "country", "avg_price", None) in axes
    assert ("donut", "country", "revenue", None) in axes
    assert ("scatter", "revenue", "avg_price", None) in axes
    assert ("table", None, None, None) in axes
    assert ("donut", "country", "avg_price", None) not in axes  # averages are not parts


def test_chart_options_for_one_row_are_kpis_and_table() -> None:
    frame = pd.DataFrame({"revenue": [10.0], "orders": ints([3])})
    assert [o.axes for o in chart_options(frame)] == [
        ("kpi", None, "revenue", None),
        ("kpi", None, "orders", None),
        ("table", None, None, None),
    ]
