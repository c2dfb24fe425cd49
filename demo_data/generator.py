"""Deterministic generator of the demo sales data, streamed in bounded chunks.

`generate(spec)` yields batches — `{table name: [row tuples]}` — first the reference
tables, then the orders (with their lines, payments, shipments and returns) in date
order, `chunk_orders` orders at a time, so memory stays flat at a million orders. One
random stream drives everything in a fixed order: the same spec gives the same rows
whatever the chunk size.

The story the data tells: volume grows ~20% a year, peaks in Q4 (Black Friday!), dips in
August and at weekends; a few customers and products account for most sales; recent
orders are still pending, processing or in transit; invoices are paid weeks after
delivery (some never); a few percent of orders are cancelled and of lines returned.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import timedelta
from itertools import accumulate

from demo_data import catalog
from demo_data.dimensions import build_world
from demo_data.spec import DemoSpec, allocate, day_weights
from demo_data.world import Row, World, money

Batch = dict[str, list[Row]]
Line = tuple[int, int, int, int]  # order_item_id, product index, quantity, total in cents
FACT_TABLES = ("orders", "order_items", "payments", "shipments", "returns")
DAY, HOUR, MINUTE = 86400, 3600, 60

CHANNELS = {
    "Consumer": (("online", 78), ("marketplace", 14), ("phone", 8)),
    "SMB": (("online", 42), ("phone", 25), ("field_sales", 23), ("marketplace", 10)),
    "Enterprise": (("field_sales", 62), ("phone", 23), ("online", 15)),
}
METHODS = {
    "Consumer": (("card", 70), ("paypal", 25), ("bank_transfer", 5)),
    "SMB": (("card", 40), ("paypal", 10), ("bank_transfer", 35), ("direct_debit", 15)),
    "Enterprise": (("bank_transfer", 85), ("direct_debit", 15)),
}
LINES = {  # weights of 1, 2, 3... lines per order
    "Consumer": (60, 28, 12),
    "SMB": (35, 28, 18, 12, 7),
    "Enterprise": (20, 20, 18, 14, 10, 8, 6, 4),
}
QUANTITIES = {
    "Consumer": (1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3),
    "SMB": (1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10),
    "Enterprise": (1, 2, 3, 5, 5, 10, 10, 15, 20, 25, 40, 50),
}
ONLINE_HOURS = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 10, 11, 10, 7, 4)
OFFICE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 6, 10, 11, 10, 7, 8, 10, 10, 9, 7, 3, 0, 0, 0, 0, 0)


def _cumulative(pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], list[int]]:
    return tuple(name for name, _ in pairs), list(accumulate(weight for _, weight in pairs))


class _Picker:
    """Weighted choices from one random stream, with the cumulative weights precomputed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.channels = {segment: _cumulative(pairs) for segment, pairs in CHANNELS.items()}
        self.methods = {segment: _cumulative(pairs) for segment, pairs in METHODS.items()}
        self.lines = {segment: list(accumulate(weights)) for segment, weights in LINES.items()}
        self.online_hours = list(accumulate(ONLINE_HOURS))
        self.office_hours = list(accumulate(OFFICE_HOURS))

    def weighted(self, options: tuple[tuple[str, ...], list[int]]) -> str:
        names, cumulative = options
        return names[bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def index(self, cumulative: list[int] | list[float], count: int | None = None) -> int:
        """Index drawn from the first `count` cumulative weights."""
        count = len(cumulative) if count is None else count
        index = bisect_right(cumulative, self.rng.random() * cumulative[count - 1], 0, count)
        return min(index, count - 1)

    def time_of_day(self, channel: str) -> int:
        hours = self.online_hours if channel in {"online", "marketplace"} else self.office_hours
        return self.index(hours) * HOUR + self.rng.randrange(HOUR)


def generate(spec: DemoSpec, *, chunk_orders: int = 10_000) -> Iterator[Batch]:
    """Yield the reference tables, then the order tables in chunks of `chunk_orders`."""
    world = build_world(spec)
    yield world.rows
    facts = _Facts(spec, world)
    yield from facts.batches(chunk_orders)


class _Facts:
    """Generates orders day by day and everything that happened to them by `end_date`."""

    def __init__(self, spec: DemoSpec, world: World) -> None:
        self.spec, self.world = spec, world
        self.rng = random.Random(f"keskinube-demo:{spec.seed}:orders")
        self.pick = _Picker(self.rng)
        self.cutoff = spec.days * DAY
        self.dates = [(spec.start_date + timedelta(days=d)).isoformat() for d in range(spec.days)]
        self.ids = dict.fromkeys(FACT_TABLES, 0)
        self.batch: Batch = {}

    def batches(self, chunk_orders: int) -> Iterator[Batch]:
        noise = [0.85 + 0.3 * self.rng.random() for _ in range(self.spec.days)]
        counts = allocate(self.spec.orders, day_weights(self.spec, noise))
        self.batch = {table: [] for table in FACT_TABLES}
        for day, count in enumerate(counts):
            weekend = (self.spec.start_date + timedelta(days=day)).weekday() >= 5
            for _ in range(count):
                self._order(day, weekend)
                if len(self.batch["orders"]) >= chunk_orders:
                    yield self.batch
                    self.batch = {table: [] for table in FACT_TABLES}
        if self.batch["orders"]:
            yield self.batch

    def _next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def timestamp(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        hours, rest = divmod(rest, HOUR)
        minutes, secs = divmod(rest, MINUTE)
        return f"{self.dates[day]} {hours:02d}:{minutes:02d}:{secs:02d}"

    def _order(self, day: int, weekend: bool) -> None:
        world, pick = self.world, self.pick
        customer = pick.index(world.customer_cum_weight, world.customers_before_day[day])
        segment = world.customer_segment[customer]
        channel = pick.weighted(pick.channels[segment])
        if weekend and channel in {"phone", "field_sales"}:
            channel = "online"  # businesses order online at weekends
        placed = day * DAY + pick.time_of_day(channel)
        order_id = self._next_id("orders")
        code, code_discount = self._discount_code(day)
        lines = self._lines(order_id, customer, day, code_discount)
        net = sum(line[3] for line in lines)
        shipping = _shipping(segment, net)
        status, delivered = self._fulfil(order_id, customer, placed, net + shipping)
        self.batch["orders"].append(
            (
                order_id,
                customer + 1,
                self._rep(customer, channel),
                self.dates[day],
                status,
                channel,
                code,
                money(shipping),
            )
        )
        if delivered is not None:
            self._returns(lines, delivered)

    def _rep(self, customer: int, channel: str) -> int | None:
        if channel in {"online", "marketplace"}:
            return None
        manager = self.world.customer_manager[customer]
        if manager is not None:
            return manager
        return self.rng.choice(self.world.reps_by_region[self.world.customer_region[customer]])

    def _discount_code(self, day: int) -> tuple[str | None, int]:
        if self.rng.random() >= 0.12:
            return None, 0
        code, discount = self.rng.choice(catalog.DISCOUNT_CODES)
        if code == "BLACKFRIDAY20" and self.dates[day][5:7] != "11":
            code, discount = "WELCOME10", 10
        return code, discount

    def _lines(self, order_id: int, customer: int, day: int, code_discount: int) -> list[Line]:
        """Add the order's lines; return them as (order_item_id, product index, quantity,
        line total in cents)."""
        world, rng = self.world, self.rng
        segment = world.customer_segment[customer]
        years_back = min(3, (self.spec.days - 1 - day) // 365)
        lines = []
        for product in self._products(segment, day):
            quantity = rng.choice(QUANTITIES[segment])
            discount = max(code_discount, world.customer_discount[customer])
            discount = min(30, discount + (5 if quantity >= 20 else 0))
            price = world.product_prices[product][years_back]
            item_id = self._next_id("order_items")
            self.batch["order_items"].append(
                (item_id, order_id, product + 1, quantity, money(price), f"0.{discount:02d}")
            )
            total = (quantity * price * (100 - discount) + 50) // 100
            lines.append((item_id, product, quantity, total))
        return lines

    def _products(self, segment: str, day: int) -> list[int]:
        """Distinct products for one order, popular ones far more often."""
        products, cumulative = self.world.month_products[self.world.month_of_day[day]]
        wanted = min(self.pick.index(self.pick.lines[segment]) + 1, len(products))
        chosen: list[int] = []
        while len(chosen) < wanted:
            product = products[self.pick.index(cumulative)]
            if product not in chosen:
                chosen.append(product)
        return chosen

    def _fulfil(
        self, order_id: int, customer: int, placed: int, amount: int
    ) -> tuple[str, int | None]:
        """Payment, shipment and status as of the end date; returns (status, delivered)."""
        rng, cutoff = self.rng, self.cutoff
        segment = self.world.customer_segment[customer]
        method = self.pick.weighted(self.pick.methods[segment])
        if rng.random() < 0.03 and placed + 2 * DAY < cutoff:
            return "cancelled", None  # cancelled by the customer before shipping
        invoiced = segment == "Enterprise" or method == "direct_debit"
        if invoiced:
            ready = placed + rng.randrange(HOUR, 20 * HOUR)  # credit approval
        elif method == "bank_transfer":
            if rng.random() < 0.08:  # the prepayment never arrives
                return ("cancelled" if placed + 10 * DAY < cutoff else "pending"), None
            ready = placed + rng.randrange(8 * HOUR, 4 * DAY)
        else:
            ready = placed + rng.randrange(MINUTE, 15 * MINUTE)
        shipped = ready + rng.randrange(2 * HOUR, 3 * DAY)
        delivered = shipped + rng.randrange(DAY, 6 * DAY) if rng.random() >= 0.002 else None
        if invoiced:
            self._invoice(order_id, amount, method, shipped)
        else:
            self._pay(order_id, amount, method, ready)
        self._ship(order_id, customer, shipped, delivered)
        if cutoff <= ready:
            return "pending", None
        if cutoff <= shipped:
            return "processing", None
        if delivered is None or cutoff <= delivered:
            return "shipped", None
        return "delivered", delivered

    def _pay(self, order_id: int, amount: int, method: str, when: int) -> None:
        if when < self.cutoff:
            self.batch["payments"].append(
                (self._next_id("payments"), order_id, money(amount), method, self.timestamp(when))
            )

    def _invoice(self, order_id: int, amount: int, method: str, shipped: int) -> None:
        """Invoices fall due weeks after shipping; big ones in two instalments; a few unpaid."""
        rng = self.rng
        due = shipped + rng.randrange(14 * DAY, 60 * DAY)
        if rng.random() < 0.025:
            return
        if amount >= 500_000 and rng.random() < 0.3:
            self._pay(order_id, amount // 2, method, due)
            self._pay(order_id, amount - amount // 2, method, due + 30 * DAY)
        else:
            self._pay(order_id, amount, method, due)

    def _ship(self, order_id: int, customer: int, shipped: int, delivered: int | None) -> None:
        rng = self.rng
        carrier = rng.choice(catalog.CARRIERS[self.world.customer_region[customer]])
        tracking = None if rng.random() < 0.04 else f"{carrier[:2].upper()}{rng.randrange(10**11)}"
        if shipped >= self.cutoff:
            return
        arrived = self.timestamp(delivered) if delivered and delivered < self.cutoff else None
        self.batch["shipments"].append(
            (
                self._next_id("shipments"),
                order_id,
                carrier,
                tracking,
                self.timestamp(shipped),
                arrived,
            )
        )

    def _returns(self, lines: list[Line], delivered: int) -> None:
        """A few delivered lines come back within a month, fully or in part."""
        rng = self.rng
        for item_id, product, quantity, total in lines:
            if rng.random() * 1000 >= self.world.product_return_rate[product]:
                continue
            returned = delivered + rng.randrange(2 * DAY, 30 * DAY)
            units = 1 if quantity == 1 or rng.random() < 0.7 else rng.randint(1, quantity)
            reason = None if rng.random() < 0.15 else rng.choice(catalog.RETURN_REASONS)
            if returned >= self.cutoff:
                continue
            refund = total * units // quantity
            if reason == "changed_mind":
                refund = refund * 85 // 100  # restocking fee
            self.batch["returns"].append(
                (
                    self._next_id("returns"),
                    item_id,
                    units,
                    reason,
                    self.dates[returned // DAY],
                    money(refund),
                )
            )


def _shipping(segment: str, net: int) -> int:
    """Shipping charged, in cents: free above a threshold that depends on the segment."""
    fee, free_from = {"Consumer": (495, 5_000), "SMB": (990, 25_000)}.get(segment, (1_990, 100_000))
    return 0 if net >= free_from else fee
