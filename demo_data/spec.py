"""What to generate (`DemoSpec`) and the calendar the orders are spread over.

Only exactly-rounded float operations (+, -, *, /) and integers are used, never `math.exp`
or `pow`, so the same spec gives byte-identical data on every platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_SEED = 42
DEFAULT_END_DATE = date(2026, 9, 30)
DEFAULT_ORDERS = 50_000
MIN_ORDERS = 100
MAX_ORDERS = 10_000_000
YEARS = 3

# Relative order volume by calendar month (Q4 peaks, a quiet August) and by weekday.
MONTH_FACTOR = (85, 90, 100, 95, 100, 98, 85, 65, 105, 112, 140, 130)
WEEKDAY_FACTOR = (115, 120, 118, 112, 100, 55, 45)
YEARLY_GROWTH = 0.2


@dataclass(frozen=True)
class DemoSpec:
    """The demo data set: `orders` orders over three years ending on `end_date`."""

    orders: int = DEFAULT_ORDERS
    seed: int = DEFAULT_SEED
    end_date: date = DEFAULT_END_DATE

    def __post_init__(self) -> None:
        if not MIN_ORDERS <= self.orders <= MAX_ORDERS:
            raise ValueError(f"orders must be between {MIN_ORDERS:,} and {MAX_ORDERS:,}")

    @property
    def start_date(self) -> date:
        """First day of the window: three years before the day after `end_date`."""
        after = self.end_date + timedelta(days=1)
        try:
            return after.replace(year=after.year - YEARS)
        except ValueError:  # 29 February
            return after.replace(year=after.year - YEARS, day=28)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def customers(self) -> int:
        """Number of customers: grows with the orders, within sensible bounds."""
        return max(100, min(80_000, self.orders // 15))


def day_weights(spec: DemoSpec, noise: list[float]) -> list[float]:
    """Relative order volume of each day: growth trend × month × weekday × noise."""
    weights = []
    for index in range(spec.days):
        day = spec.start_date + timedelta(days=index)
        trend = 1.0 + YEARLY_GROWTH * index / 365
        weight = trend * MONTH_FACTOR[day.month - 1] * WEEKDAY_FACTOR[day.weekday()]
        weights.append(weight * _special_day_factor(day) * noise[index])
    return weights


def _special_day_factor(day: date) -> float:
    """Black Friday and Cyber Monday spikes; the Christmas lull."""
    black_friday = _black_friday(day.year)
    if day == black_friday:
        return 3.0
    if day == black_friday + timedelta(days=3):
        return 2.0
    if day.month == 12 and day.day >= 24:
        return 0.5
    return 1.0


def _black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder method)."""
    weight_sum = sum(weights)
    shares = [total * weight / weight_sum for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts
