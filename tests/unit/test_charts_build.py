"""build_figure and kpi_value: trace types, axis titles, tick formats, big data, top 20;
the API's Plotly JSON (figure_json) the same as the checked figure's."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from backend.charts import ChartSpec, build_figure, choose_chart, kpi_label, kpi_value
from backend.charts.build import figure_json, figure_spec

BIG = 12_000


def text(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def noise(count: int, seed: int = 0, scale: float = 1000.0) -> np.ndarray:
    return np.random.default_rng(seed).random(count) * scale


def draw(frame: pd.DataFrame, spec: ChartSpec | None = None, **options: str) -> go.Figure:
    figure = build_figure(frame, spec or choose_chart(frame), **options)
    assert figure is not None
    return figure


def test_bar_has_humanised_titles_and_currency_ticks() -> None:
    frame = pd.DataFrame({"country": text(["DE", "FR"]), "total_revenue": [310_000.0, 250_000.0]})
    figure = draw(frame)
    bar = figure.data[0]
    assert isinstance(bar, go.Bar) and list(bar.x) == ["DE", "FR"]
    assert figure.layout.xaxis.title.text == "Country"
    assert figure.layout.yaxis.title.text == "Total revenue"
    assert (figure.layout.yaxis.tickprefix, figure.layout.yaxis.tickformat) == ("€", ",~r")
    assert list(bar.text) == ["€310K", "€250K"]
    assert "€%{y:,.0f}" in bar.hovertemplate
    assert figure.layout.title.text == "Total revenue by country"


def test_bar_sorts_biggest_first_and_aggregates_duplicates() -> None:
    frame = pd.DataFrame({"country": text(["FR", "DE", "FR"]), "orders": [1.0, 5.0, 2.0]})
    bar = draw(frame).data[0]
    assert list(bar.x) == ["DE", "FR"] and list(bar.y) == [5.0, 3.0]


def test_many_categories_keep_top_20_plus_other() -> None:
    values = np.arange(30, 0, -1, dtype="float64")
    frame = pd.DataFrame({"customer": text([f"c{i}" for i in range(30)]), "sales": values})
    figure = draw(frame)
    bar = figure.data[0]
    assert bar.orientation == "h" and len(bar.y) == 21 and bar.y[-1] == "Other"
    assert bar.x[-1] == values[20:].sum()
    assert figure.layout.yaxis.autorange == "reversed"  # biggest at the top
    assert figure.layout.xaxis.title.text == "Sales"


def test_averages_keep_top_20_without_an_other_bucket() -> None:
    frame = pd.DataFrame({"customer": text([f"c{i}" for i in range(30)]), "avg_basket": noise(30)})
    bar = draw(frame).data[0]
    assert len(bar.y) == 20 and "Other" not in list(bar.y)


def test_stacked_bars_have_a_trace_per_colour() -> None:
    frame = pd.DataFrame(
        {
            "country": text(["DE", "DE", "FR"]),
            "channel": text(["web", "shop", "web"]),
            "revenue": [1.0, 2.0, 3.0],
        }
    )
    figure = draw(frame)
    assert [t.name for t in figure.data] == ["web", "shop"]
    assert figure.layout.barmode == "stack"
    assert figure.layout.legend.title.text == "Channel"


def test_line_over_months_uses_dates_and_a_trace_per_series() -> None:
    frame = pd.DataFrame(
        {
            "month": text(["2024-02", "2024-01", "2024-02", "2024-01"]),
            "channel": text(["web", "web", "shop", "shop"]),
            "revenue": noise(4),
        }
    )
    figure = draw(frame)
    assert len(figure.data) == 2 and all(isinstance(t, go.Scatter) for t in figure.data)
    assert list(figure.data[0].x) == list(pd.to_datetime(["2024-01", "2024-02"]))
    assert figure.layout.xaxis.title.text == "Month"


def test_quarters_draw_on_an_ordered_category_axis() -> None:
    frame = pd.DataFrame({"quarter": text(["2024-Q3", "Q1 2024", "2024Q2"]), "revenue": noise(3)})
    figure = draw(frame)
    assert list(figure.data[0].x) == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert figure.layout.xaxis.type == "category"


def test_years_tick_as_whole_numbers() -> None:
    frame = pd.DataFrame(
        {"year": pd.Series([2022, 2023, 2024], dtype="Int64"), "revenue": noise(3)}
    )
    assert draw(frame).layout.xaxis.tickformat == "d"


def test_big_line_uses_webgl() -> None:
    frame = pd.DataFrame(
        {
            "ts": pd.Series(pd.date_range("2024", periods=BIG, freq="min"), dtype="datetime64[us]"),
            "load": noise(BIG),
        }
    )
    trace = draw(frame).data[0]
    assert isinstance(trace, go.Scattergl) and trace.mode == "lines"


def test_small_scatter_is_svg_and_big_scatter_is_webgl() -> None:
    small = pd.DataFrame({"price": noise(100, 1), "quantity": noise(100, 2)})
    big = pd.DataFrame({"price": noise(BIG, 1), "quantity": noise(BIG, 2)})
    assert type(draw(small).data[0]) is go.Scatter
    assert type(draw(big).data[0]) is go.Scattergl
    assert draw(big).layout.yaxis.title.text == "Quantity"


def test_scatter_colour_splits_traces() -> None:
    frame = pd.DataFrame(
        {"segment": text(["a", "b"] * 10), "x_value": noise(20, 1), "y_value": noise(20, 2)}
    )
    spec = ChartSpec("scatter", "x_value", "y_value", "segment", "t", "r")
    assert sorted(t.name for t in draw(frame, spec).data) == ["a", "b"]


def test_histogram_is_binned_in_the_browser_when_small_and_here_when_big() -> None:
    small = draw(pd.DataFrame({"amount": noise(500)}))
    assert isinstance(small.data[0], go.Histogram)
    big = draw(pd.DataFrame({"amount": noise(BIG)}))
    bars = big.data[0]
    assert isinstance(bars, go.Bar) and len(bars.x) <= 50 and sum(bars.y) == BIG
    assert big.layout.xaxis.title.text == "Amount" and big.layout.xaxis.tickprefix == "€"


def test_donut_is_a_pie_with_a_hole() -> None:
    frame = pd.DataFrame(
        {"status": text(["open", "paid"]), "COUNT(*)": pd.Series([3, 9], dtype="Int64")}
    )
    pie = draw(frame).data[0]
    assert isinstance(pie, go.Pie) and pie.hole == 0.5
    assert list(pie.labels) == ["paid", "open"] and list(pie.values) == [9, 3]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.12, 0.3, 0.25], {"tickformat": ".0%"}),
        ([12.0, 30.0, 25.0], {"tickformat": ",~r", "ticksuffix": "%"}),
    ],
)
def test_percent_axis_handles_fractions_and_points(
    values: list[float], expected: dict[str, str]
) -> None:
    frame = pd.DataFrame({"region": text(["N", "S", "E"]), "conversion_rate": values})
    axis = draw(frame).layout.yaxis
    assert {key: axis[key] for key in expected} == expected


def test_currency_symbol_and_locale_are_configurable() -> None:
    frame = pd.DataFrame(
        {"country": text(["DE", "FR"]), "revenue": [1.0, 2.0], "amount_usd": [3.0, 4.0]}
    )
    dollars = draw(frame, ChartSpec("bar", "country", "revenue"), currency="$")
    assert dollars.layout.yaxis.tickprefix == "$"
    german = draw(frame, ChartSpec("bar", "country", "revenue"), locale="de_DE")
    assert german.layout.separators == ",." and german.layout.yaxis.ticksuffix == " €"
    usd = draw(frame, ChartSpec("bar", "country", "amount_usd"))
    assert usd.layout.yaxis.tickprefix == "$"


def test_kpi_and_table_have_no_figure_and_misfits_are_refused() -> None:
    frame = pd.DataFrame({"country": text(["DE", "FR"]), "revenue": [1.0, 2.0]})
    assert build_figure(frame, ChartSpec("table")) is None
    assert build_figure(frame.head(1), ChartSpec("kpi", y="revenue")) is None
    assert build_figure(frame, ChartSpec("line", "country", "revenue")) is None
    assert build_figure(frame, ChartSpec("bar", "nation", "revenue")) is None


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("total_revenue", 1_234_567.0, "€1.2M"),
        ("SUM(amount)", Decimal("1234.50"), "€1,234.50"),
        ("COUNT(*)", 42, "42"),
        ("churn_rate", 0.153, "15.3%"),
        ("total_orders", 12_345, "12.3K"),
        ("revenue", None, "–"),
    ],
)
def test_kpi_value_formats_the_single_value(column: str, value: object, expected: str) -> None:
    frame = pd.DataFrame({column: pd.Series([value], dtype=object)})
    assert kpi_value(frame, ChartSpec("kpi", y=column)) == expected


def test_kpi_value_uses_locale_and_currency() -> None:
    frame = pd.DataFrame({"revenue": [1_234_567.0]})
    kpi = ChartSpec("kpi", y="revenue")
    assert kpi_value(frame, kpi, locale="de", currency="CHF") == "1,2\u00a0Mio.\u00a0CHF"
    assert kpi_value(frame, kpi, locale="es") == "1,2\u00a0M€"
    assert kpi_value(frame, kpi, locale="es", currency="CHF") == "1,2\u00a0M\u00a0CHF"


# -- Spanish -------------------------------------------------------------------------------


def test_spanish_chart_has_spanish_titles_separators_and_other_bucket() -> None:
    values = np.arange(30, 0, -1, dtype="float64") * 1000
    frame = pd.DataFrame({"country": text([f"c{i}" for i in range(30)]), "total_revenue": values})
    figure = draw(frame, locale="es")
    bar = figure.data[0]
    assert figure.layout.title.text == "Ingresos totales por país"
    assert figure.layout.xaxis.title.text == "Ingresos totales"
    assert figure.layout.yaxis.title.text == "País"
    assert figure.layout.separators == ",."
    assert figure.layout.xaxis.ticksuffix == " €"
    assert bar.y[-1] == "Otros" and bar.text[0] == "30\u00a0mil\u00a0€"
    assert "Ingresos totales" not in bar.hovertemplate  # bars name the category only
    assert "%{x:,.0f} €" in bar.hovertemplate


def test_spanish_date_axis_has_spanish_month_ticks_and_hover_labels() -> None:
    frame = pd.DataFrame(
        {"month": text([f"2024-{m:02d}" for m in range(1, 13)]), "revenue": noise(12)}
    )
    figure = draw(frame, locale="es")
    axis, line = figure.layout.xaxis, figure.data[0]
    assert axis.title.text == "Mes" and figure.layout.yaxis.title.text == "Ingresos"
    assert axis.tickmode == "array" and len(axis.tickvals) == len(axis.ticktext) <= 8
    assert axis.ticktext[0] == "ene 2024" and all("2024" in tick for tick in axis.ticktext)
    assert list(line.customdata[:2]) == ["enero 2024", "febrero 2024"]
    assert line.hovertemplate.startswith("%{customdata}<br>Ingresos: ")
    assert draw(frame).layout.xaxis.tickvals is None  # English keeps Plotly's own ticks


def test_month_numbers_tick_as_month_names() -> None:
    frame = pd.DataFrame({"month": pd.Series([1, 2, 3], dtype="Int64"), "revenue": noise(3)})
    assert draw(frame).layout.xaxis.ticktext == ("Jan", "Feb", "Mar")
    assert draw(frame, locale="es").layout.xaxis.ticktext == ("enero", "febrero", "marzo")


def test_spanish_quarters_histogram_and_legend() -> None:
    quarters = pd.DataFrame({"quarter": text(["2024-Q1", "2024-Q2"]), "revenue": noise(2)})
    assert list(draw(quarters, ChartSpec("bar", "quarter", "revenue"), locale="es").data[0].x) == [
        "T1 2024",
        "T2 2024",
    ]
    histogram = draw(pd.DataFrame({"amount": noise(500)}), locale="es")
    assert histogram.layout.title.text == "Distribución de importe"
    assert histogram.layout.yaxis.title.text == "Filas"
    stacked = pd.DataFrame(
        {
            "country": text(["DE", "DE", "FR"]),
            "channel": text(["web", "shop", "web"]),
            "revenue": [1.0, 2.0, 3.0],
        }
    )
    figure = draw(stacked, locale="es")
    assert figure.layout.legend.title.text == "Canal"
    assert figure.layout.title.text == "Ingresos por país y canal"


def test_a_models_own_title_is_kept_in_every_language() -> None:
    frame = pd.DataFrame({"country": text(["DE", "FR"]), "revenue": [1.0, 2.0]})
    spec = ChartSpec("bar", "country", "revenue", title="Umsatz je Land")
    assert draw(frame, spec, locale="es").layout.title.text == "Umsatz je Land"


def test_kpi_label_follows_the_language() -> None:
    spec = ChartSpec("kpi", y="total_revenue")
    assert kpi_label(spec) == "Total revenue" and kpi_label(spec, "es") == "Ingresos totales"


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"month": text(["2024-02", "2024-01", "2024-03"]), "revenue": noise(3)}),
        pd.DataFrame({"status": text(["open", "paid", "open"]), "orders": [3, 9, 4]}),
        pd.DataFrame({"price": noise(40, seed=1), "weight": noise(40, seed=2)}),
        pd.DataFrame({"amount": noise(BIG)}),
    ],
    ids=["line", "bar", "scatter", "big-histogram"],
)
@pytest.mark.parametrize("locale", ["en", "es"])
def test_api_json_is_what_plotly_writes_for_the_checked_figure(
    frame: pd.DataFrame, locale: str
) -> None:
    spec = choose_chart(frame)
    checked = draw(frame, spec, locale=locale).update_layout(template=None)
    drawn = figure_spec(frame, spec, locale=locale)
    assert drawn is not None
    assert figure_json(drawn) == json.loads(checked.to_json())
