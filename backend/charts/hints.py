"""`ColumnHints`: what the SQL and the schema's knowledge say about a result's columns.

A column's name is a weak hint (`avg_order_value` names no currency, `method` is English
in a Spanish sentence). Where the SQL that produced the result is known, the caller
(`backend.result_columns`) reads it and tells the charts, the sentence and the table:

- `money`: columns computed from money columns (`AVG(o.shipping_cost)`), written with the
  currency symbol and two decimals whatever their name;
- `averages`: columns that are means (`AVG(...)`), which never add up and are written with
  at most two decimals in the table;
- `labels`: the reader's-language label of a column where the schema's knowledge has one
  ('Método de pago' for `payments.method`);
- `counts`: columns that are a `COUNT(...)`; `counted`: of those, the ones that count a
  table's rows (`COUNT(*)`, `COUNT(o.id)`), with the plural noun of that table in the
  reader's language ('orders', 'pedidos'), so the sentence can say "There are 1,073 orders."

Without hints (`NO_HINTS`) everything falls back to what the name says (`backend.charts.names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from backend.charts.formatting import DEFAULT_CURRENCY, NumberFormat, number_format
from backend.charts.names import (
    humanise,
    in_sentence,
    is_additive,
    is_average,
    plural_label,
    upper_first,
)


@dataclass(frozen=True)
class ColumnHints:
    """Facts about a result's columns, by column name; labels in one language."""

    money: frozenset[str] = frozenset()
    averages: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)
    counts: frozenset[str] = frozenset()
    counted: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str, language: str | None) -> str:
        """'Método de pago' when the knowledge says so, else the humanised name."""
        known = self.labels.get(name)
        return upper_first(known) if known else humanise(name, language)

    def word(self, name: str, language: str | None) -> str:
        """The label inside a sentence: 'método de pago', 'total revenue'."""
        known = self.labels.get(name)
        return in_sentence(known if known else name, language, humanised=bool(known))

    def plural(self, name: str, language: str | None) -> str | None:
        """The plural of the label; None where it is not known (the caller rephrases)."""
        if name in self.labels:
            return None  # a label from knowledge: its plural is not ours to guess
        return plural_label(name, language)

    def rows_counted(self, name: str) -> str | None:
        """The plural noun of the table whose rows the column counts ('orders'), if any."""
        return self.counted.get(name)

    def is_count(self, name: str) -> bool:
        """A `COUNT(...)`, by the SQL."""
        return name in self.counts

    def additive(self, name: str) -> bool:
        """Whether summing the measure over rows means something (not for averages)."""
        return name not in self.averages and is_additive(name)

    def average(self, name: str) -> bool:
        """A mean, by the SQL (`AVG(...)`) or by its name (`avg_price`)."""
        return name in self.averages or is_average(name)

    def is_money(self, name: str) -> bool:
        """Computed from money columns, by the SQL; the name's own hint is `names.is_money`."""
        return name in self.money

    def number_format(
        self, name: str, values: pd.Series | None = None, *, currency: str = DEFAULT_CURRENCY
    ) -> NumberFormat:
        """The format the name implies, as money when the SQL computed it from money."""
        return number_format(name, values, currency=currency, money=name in self.money)


NO_HINTS = ColumnHints()
