"""Shared pieces of the demo generator: the `World` of reference data that orders are
generated from, and small formatting helpers.

Rows are tuples in the column order of `backend.demo.schema`; dates, times and money are
already formatted as strings ('2026-09-30', '2026-09-30 14:05:00', '899.00'), which every
supported database accepts and which keeps the output byte-identical.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from demo_data import names

Row = tuple[object, ...]


def money(cents: int) -> str:
    """'1234.50' from 123450 cents."""
    return f"{cents // 100}.{cents % 100:02d}"


def ascii_slug(text: str, sep: str = ".") -> str:
    """'José Núñez' → 'jose.nunez': accents dropped, lower case, for emails and domains."""
    plain = unicodedata.normalize("NFKD", text.replace("'", "")).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in plain.lower()).split()
    return sep.join(words)


@dataclass
class World:
    """Dimension rows plus the lookups used to generate orders."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    region_codes: dict[int, str] = field(default_factory=dict)
    reps_by_region: dict[str, list[int]] = field(default_factory=dict)
    customer_segment: list[str] = field(default_factory=list)
    customer_region: list[str] = field(default_factory=list)
    customer_manager: list[int | None] = field(default_factory=list)
    customer_discount: list[int] = field(default_factory=list)
    customer_cum_weight: list[float] = field(default_factory=list)
    customers_before_day: list[int] = field(default_factory=list)
    product_prices: list[tuple[int, ...]] = field(default_factory=list)
    product_return_rate: list[int] = field(default_factory=list)
    month_of_day: list[int] = field(default_factory=list)
    month_products: list[tuple[list[int], list[float]]] = field(default_factory=list)


def person_name(rng: random.Random, region: str) -> tuple[str, str]:
    """A first and last name typical of `region`: mostly Spanish or English."""
    roll = rng.random()
    spanish = 0.8 if region == "IBE" else 0.1 if region == "UKI" else 0.3
    english = 0.15 if region == "IBE" else 0.85 if region == "UKI" else 0.4
    if roll < spanish:
        pools = (names.SPANISH_FIRST_NAMES, names.SPANISH_LAST_NAMES)
    elif roll < spanish + english:
        pools = (names.ENGLISH_FIRST_NAMES, names.ENGLISH_LAST_NAMES)
    else:
        pools = (names.OTHER_FIRST_NAMES, names.OTHER_LAST_NAMES)
    return rng.choice(pools[0]), rng.choice(pools[1])
