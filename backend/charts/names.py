"""What a column's name says: words, hints (money, percent, count, id) and a readable label.

SQL results carry little semantic type information (DECIMAL arrives as float64), so the
column name is our best hint at what a number means. Every name rule lives here so that
choosing, drawing and summarising a chart read a name the same way.
"""

from __future__ import annotations

import re

from backend.charts.glossary import spanish_label, spanish_plural
from backend.i18n.catalogue import normalise_language

CURRENCY_WORDS = frozenset(
    {
        "revenue",
        "amount",
        "price",
        "cost",
        "costs",
        "sales",
        "salary",
        "total",
        "spend",
        "income",
        "profit",
        "turnover",
        "gmv",
        "budget",
        "fee",
        "fees",
        "eur",
        "usd",
        "gbp",
    }
)
PERCENT_WORDS = frozenset({"pct", "percent", "percentage", "share", "rate", "ratio"})
# Share of a whole: values that can be parts of a donut (rate/ratio are not parts).
SHARE_WORDS = frozenset({"share", "pct", "percent", "percentage", "proportion", "fraction"})
COUNT_WORDS = frozenset({"count", "cnt", "n", "num", "number", "frequency", "freq"})
# Words that make "total_orders" a count rather than money.
QUANTITY_WORDS = COUNT_WORDS | frozenset(
    {"orders", "qty", "quantity", "units", "items", "customers", "users", "visits", "rows"}
)
AVERAGE_WORDS = frozenset({"avg", "average", "mean"})
# Measures whose values do not add up: averages, extremes, rates, unit prices.
NON_ADDITIVE_WORDS = PERCENT_WORDS | frozenset(
    {
        *AVERAGE_WORDS,
        "median",
        "min",
        "max",
        "minimum",
        "maximum",
        "price",
        "score",
        "rating",
        "age",
        "proportion",
        "fraction",
    }
)
# Any of these words makes a number a measure, never a key found by its values.
MEASURE_WORDS = CURRENCY_WORDS | QUANTITY_WORDS | NON_ADDITIVE_WORDS | frozenset({"sum", "total"})
ID_WORDS = frozenset(
    {
        "id",
        "uuid",
        "guid",
        "key",
        "code",
        "sku",
        "ean",
        "isbn",
        "zip",
        "zipcode",
        "postcode",
        "phone",
        "rank",
    }
)
ID_SUFFIX_WORDS = frozenset({"no", "nr", "number"})
YEAR_WORDS = frozenset({"year", "yr", "fy", "yyyy"})
ORDINAL_RANGES = {
    "month": (1, 12),
    "quarter": (1, 4),
    "week": (0, 53),
    "isoweek": (1, 53),
    "day": (1, 31),
    "weekday": (0, 7),
    "dow": (0, 7),
    "dayofweek": (0, 7),
    "hour": (0, 23),
    "minute": (0, 59),
}
CURRENCY_CODES = {"eur": "€", "usd": "$", "gbp": "£"}
_ACRONYMS = {
    "id": "ID",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "vat": "VAT",
    "sku": "SKU",
    "kpi": "KPI",
    "gmv": "GMV",
    "url": "URL",
    "fy": "FY",
}
_EXPANSIONS = {"avg": "average", "qty": "quantity", "cnt": "count"}
_AGGREGATES = {
    "sum": "",
    "count": "Count",
    "avg": "Average",
    "min": "Minimum",
    "max": "Maximum",
    "total": "Total",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CALL = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$")


def words(name: str) -> tuple[str, ...]:
    """Lower-case words of a column name: `totalRevenue_EUR` → ('total', 'revenue', 'eur')."""
    spaced = _CAMEL.sub(" ", name)
    return tuple(w for w in re.split(r"[^0-9A-Za-z]+", spaced.lower()) if w)


def says(name: str, vocabulary: frozenset[str]) -> bool:
    """True when any word of `name` is in `vocabulary`."""
    return not vocabulary.isdisjoint(words(name))


def is_money(name: str, *, integer_typed: bool = False) -> bool:
    """Money unless the name also says it counts things (`total_orders`) or is a percent.

    A bare `total` is ambiguous (`COUNT(*) AS total`); it means money only when the column
    is not an integer type, since SUM over DECIMAL arrives as float64 and COUNT as int64.
    """
    found = set(words(name)) & CURRENCY_WORDS
    if not found or says(name, QUANTITY_WORDS) or says(name, PERCENT_WORDS):
        return False
    return not (found == {"total"} and integer_typed)


def is_percent(name: str) -> bool:
    return says(name, PERCENT_WORDS)


def is_count(name: str) -> bool:
    return says(name, COUNT_WORDS)


def is_share(name: str) -> bool:
    return says(name, SHARE_WORDS)


def is_average(name: str) -> bool:
    """`avg_price`, `AVG(total)`, `mean_basket`: a mean, written with few decimals."""
    return says(name, AVERAGE_WORDS)


def is_additive(name: str) -> bool:
    """Whether summing the measure over rows means something (sums, counts: yes; averages: no)."""
    return not says(name, NON_ADDITIVE_WORDS)


def currency_symbol(name: str, default: str) -> str:
    """`amount_usd` → '$'; otherwise the configured symbol."""
    for word in words(name):
        if word in CURRENCY_CODES:
            return CURRENCY_CODES[word]
    return default


def says_id(name: str) -> bool:
    """`id`, `customer_id`, `customerId`, `order_no`, `invoice_number`, `sku`, `rank`."""
    parts = words(name)
    if not parts:
        return False
    if parts[-1] in ID_WORDS:
        return True
    return parts[-1] in ID_SUFFIX_WORDS and len(parts) > 1 and parts[0] not in COUNT_WORDS


def ordinal_unit(name: str) -> str | None:
    """'month' for `month`, `order_month`, `month_num`; None for `orders_per_month`."""
    parts = words(name)
    if not parts or "per" in parts:
        return None
    for word in (parts[0], parts[-1]):
        if word in ORDINAL_RANGES:
            return word
    return None


def humanise(name: str, locale: str | None = "en") -> str:
    """A label for people: `total_revenue` → 'Total revenue', `AVG(price)` → 'Average price'.

    In Spanish, common analytics words are translated ('Ingresos totales', see
    `glossary`); other names keep the English label.
    """
    call = _CALL.match(name)
    if call:
        func, inner = call.group(1).lower(), call.group(2).strip()
        prefix = _AGGREGATES.get(func, func.capitalize())
        inner_words = [] if inner in {"*", "1", ""} else list(words(inner))
        label = _sentence([*words(prefix), *inner_words]) or name
    else:
        label = _sentence(list(words(name))) or name
    if normalise_language(locale) == "es":
        return spanish_label(list(words(label))) or label
    return label


def in_sentence(name: str, locale: str | None = "en", *, humanised: bool = False) -> str:
    """The label inside a sentence: 'total revenue', but 'ID' and 'VAT' keep their capitals.

    `humanised`: `name` is a label already (from the schema's knowledge), not a column name.
    """
    label = name if humanised else humanise(name, locale)
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def upper_first(label: str) -> str:
    """'método de pago' → 'Método de pago'; the rest as it is ('iPhone sales' too)."""
    return label[:1].upper() + label[1:]


def plural_label(name: str, locale: str | None = "en") -> str | None:
    """The plural of a column's label in a sentence ('countries', 'países'); None in
    Spanish when the glossary does not know the word (the caller rephrases)."""
    if normalise_language(locale) == "es":
        return spanish_plural(list(words(humanise(name))))
    return plural(in_sentence(name))


def _sentence(parts: list[str]) -> str:
    if len(parts) > 1 and parts[0] in {"n", "num", "nr"}:  # n_orders → number of orders
        parts = ["number", "of", *parts[1:]]
    shown = [_ACRONYMS.get(p, _EXPANSIONS.get(p, p)) for p in parts]
    if not shown:
        return ""
    first = shown[0] if shown[0].isupper() else shown[0].capitalize()
    return " ".join([first, *shown[1:]])


def plural(noun: str) -> str:
    """Naive English plural for a humanised label: 'country' → 'countries', 'orders' stays."""
    if not noun or (noun.endswith("s") and not noun.endswith(("us", "ss"))):
        return noun
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"
