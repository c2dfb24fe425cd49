"""What the SQL says about a result's columns (`ColumnHints`) reaches the sentence, the
KPI card, the chart and the table: a mean of amounts is money with two decimals, a mean
has no fourth decimal, and Spanish labels from the knowledge replace English names."""

from __future__ import annotations

import pandas as pd
from streamlit import dataframe_util
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from backend.charts import ChartSpec, ColumnHints, build_figure, chart_title, kpi_value
from backend.i18n import Translator
from backend.summary import summarise
from ui.components.charts import column_config, spec_label
from ui.components.formats import styled

NBSP = "\u00a0"
AVERAGE = pd.DataFrame({"avg_order_value": [123.4567]})
MONEY_MEAN = ColumnHints(
    money=frozenset({"avg_order_value"}), averages=frozenset({"avg_order_value"})
)
KPI = ChartSpec("kpi", y="avg_order_value")


def shown(frame: pd.DataFrame, language: str, hints: ColumnHints) -> pd.DataFrame:
    """The display values the browser receives for the table."""
    table = styled(frame, language, "€", hints)
    assert not isinstance(table, pd.DataFrame)
    proto = ArrowData()
    marshall_styler(proto, table, "test")
    return dataframe_util.convert_arrow_bytes_to_pandas_df(proto.styler.display_values)


def test_a_mean_of_amounts_reads_as_money_with_two_decimals() -> None:
    assert summarise(AVERAGE, KPI, hints=MONEY_MEAN) == "Average order value is €123.46."
    spanish = summarise(AVERAGE, KPI, locale="es", hints=MONEY_MEAN)
    assert spanish == f"Average order value: 123,46{NBSP}€."
    assert kpi_value(AVERAGE, KPI, locale="es", hints=MONEY_MEAN) == f"123,46{NBSP}€"
    assert list(shown(AVERAGE, "en", MONEY_MEAN)["avg_order_value"]) == ["€123.46"]
    assert list(shown(AVERAGE, "es", MONEY_MEAN)["avg_order_value"]) == [f"123,46{NBSP}€"]


def test_the_chart_axis_of_a_mean_of_amounts_carries_the_currency() -> None:
    frame = pd.DataFrame(
        {"method": pd.Series(["card", "paypal"], dtype="str"), "avg_paid": [84.1234, 61.5]}
    )
    spec = ChartSpec("bar", x="method", y="avg_paid")
    hints = ColumnHints(money=frozenset({"avg_paid"}), averages=frozenset({"avg_paid"}))
    english = build_figure(frame, spec, hints=hints)
    assert english is not None and english.layout.yaxis.tickprefix == "€"
    spanish = build_figure(frame, spec, locale="es", hints=hints)
    assert spanish is not None and spanish.layout.yaxis.ticksuffix == " €"


def test_a_mean_that_is_not_money_has_at_most_two_decimals_in_the_table() -> None:
    frame = pd.DataFrame({"AVG(score)": [4.5678, 0.125, 0.04567], "ratio_x": [4.5678, 0.1, 0.2]})
    hints = ColumnHints(averages=frozenset({"AVG(score)"}))
    cells = shown(frame, "es", hints)
    assert list(cells["AVG(score)"]) == ["4,57", "0,125", "0,0457"]
    assert cells["ratio_x"].iloc[0] == "4,568"  # not a mean: as many decimals as before


PAYMENTS = pd.DataFrame(
    {
        "method": pd.Series(["card", "paypal", "bank_transfer"], dtype="str"),
        "payments": [120, 80, 30],
    }
)
BARS = ChartSpec("bar", x="method", y="payments", title="Payments by method")
SPANISH = ColumnHints(labels={"method": "método de pago", "payments": "pagos"})


def test_spanish_titles_and_sentences_use_the_knowledge_labels() -> None:
    assert chart_title(BARS, "es") == "Payments por method"  # no knowledge: humanised names
    assert chart_title(BARS, "es", SPANISH) == "Pagos por método de pago"
    figure = build_figure(PAYMENTS, BARS, locale="es", hints=SPANISH)
    assert figure is not None
    assert figure.layout.title.text == "Pagos por método de pago"
    assert (figure.layout.xaxis.title.text, figure.layout.yaxis.title.text) == (
        "Método de pago",
        "Pagos",
    )
    sentence = summarise(PAYMENTS, BARS, locale="es", hints=SPANISH)
    assert sentence == (
        "Card lidera con 120 en pagos, seguido de paypal (80); "
        "3 valores de método de pago en total."
    )
    assert spec_label(BARS, Translator("es"), SPANISH) == "Pagos por método de pago"
    headers = column_config(PAYMENTS, "es", SPANISH)
    assert [headers[name]["label"] for name in ("method", "payments")] == [
        "Método de pago",
        "Pagos",
    ]


def test_a_raw_snake_case_name_is_humanised_in_spanish_too() -> None:
    spec = ChartSpec("bar", x="payment_method", y="payments")
    title = chart_title(spec, "es")
    assert title == "Payments por payment method"
    assert "_" not in title
