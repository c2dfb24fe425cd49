"""The demo's reference tables — regions, offices, staff, catalogue, customers — built
into a `World` that the order generator draws from."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import accumulate

from demo_data import catalog, names
from demo_data.customers import HISTORY_START, add_customers
from demo_data.spec import DemoSpec
from demo_data.world import Row, World, ascii_slug, money, person_name

COMPANY_DOMAIN = "nubeterra.example"


def build_world(spec: DemoSpec) -> World:
    """Generate every reference table for `spec` (deterministic in `spec.seed`)."""
    rng = random.Random(f"keskinube-demo:{spec.seed}:dimensions")
    world = World()
    _add_regions_and_offices(world)
    _add_employees(world, rng, spec)
    _add_catalogue(world, rng, spec)
    add_customers(world, rng, spec)
    return world


def _add_regions_and_offices(world: World) -> None:
    world.rows["regions"] = [
        (index, name, code) for index, (code, name) in enumerate(names.REGIONS, start=1)
    ]
    world.region_codes = {index: code for index, (code, _) in enumerate(names.REGIONS, start=1)}
    region_ids = {code: index for index, code in world.region_codes.items()}
    world.rows["offices"] = [
        (index, name, city, country, region_ids[code], f"{year}-0{1 + index % 9}-01")
        for index, (code, name, city, country, year) in enumerate(names.OFFICES, start=1)
    ]


# Title → (department, salary band in euros, commission in thousandths or None).
TITLES: dict[str, tuple[str, tuple[int, int], tuple[int, int] | None]] = {
    "CEO": ("Executive", (185_000, 220_000), None),
    "VP of Sales": ("Executive", (140_000, 160_000), (5, 5)),
    "CFO": ("Executive", (145_000, 165_000), None),
    "COO": ("Executive", (140_000, 155_000), None),
    "Regional Sales Director": ("Sales", (95_000, 115_000), (5, 8)),
    "Sales Manager": ("Sales", (68_000, 85_000), (10, 12)),
    "Account Executive": ("Sales", (48_000, 62_000), (30, 50)),
    "Sales Representative": ("Sales", (34_000, 45_000), (20, 40)),
    "Logistics Coordinator": ("Operations", (32_000, 40_000), None),
    "Customer Success Manager": ("Customer Success", (40_000, 52_000), None),
    "Finance Analyst": ("Finance", (42_000, 56_000), None),
}
HIGH_COST_REGIONS = frozenset({"UKI", "DAC", "NOR"})


class _Staff:
    """Accumulates employee rows, keeping emails unique."""

    def __init__(self, rng: random.Random, spec: DemoSpec, world: World) -> None:
        self.rng, self.spec, self.world = rng, spec, world
        self.rows: list[Row] = []
        self.emails: set[str] = set()

    def hire(self, title: str, office_id: int, manager_id: int | None, *, permanent: bool) -> int:
        rng = self.rng
        first, last = person_name(rng, self._office_region(office_id))
        department, (low, high), commission = TITLES[title]
        salary = rng.randrange(low, high + 1, 500)
        if self._office_region(office_id) in HIGH_COST_REGIONS:
            salary = salary * 112 // 100 // 100 * 100
        hired, left = self._dates(office_id, permanent=permanent)
        rate = None if commission is None else f"0.{rng.randint(*commission):03d}"
        employee_id = len(self.rows) + 1
        self.rows.append(
            (
                employee_id,
                first,
                last,
                self._email(first, last),
                title,
                department,
                office_id,
                manager_id,
                hired,
                left,
                money(salary * 100),
                rate,
            )
        )
        return employee_id

    def _office_region(self, office_id: int) -> str:
        return names.OFFICES[office_id - 1][0]

    def _dates(self, office_id: int, *, permanent: bool) -> tuple[str, str | None]:
        opened = date(names.OFFICES[office_id - 1][4], 1, 1)
        latest = self.spec.start_date if permanent else self.spec.end_date - timedelta(days=60)
        hired = opened + timedelta(days=self.rng.randrange(max(1, (latest - opened).days)))
        left = None
        if not permanent and self.rng.random() < 0.12:
            span = (self.spec.end_date - hired).days
            left = (hired + timedelta(days=span // 2 + self.rng.randrange(span // 2))).isoformat()
        return hired.isoformat(), left

    def _email(self, first: str, last: str) -> str:
        base = ascii_slug(f"{first} {last}")
        email, number = f"{base}@{COMPANY_DOMAIN}", 1
        while email in self.emails:
            number += 1
            email = f"{base}{number}@{COMPANY_DOMAIN}"
        self.emails.add(email)
        return email


def _add_employees(world: World, rng: random.Random, spec: DemoSpec) -> None:
    staff = _Staff(rng, spec, world)
    ceo = staff.hire("CEO", 1, None, permanent=True)
    vp_sales = staff.hire("VP of Sales", 1, ceo, permanent=True)
    cfo = staff.hire("CFO", 1, ceo, permanent=True)
    coo = staff.hire("COO", 4, ceo, permanent=True)
    offices_by_region: dict[str, list[int]] = {}
    for office_id, office in enumerate(names.OFFICES, start=1):
        offices_by_region.setdefault(office[0], []).append(office_id)
    for code, office_ids in offices_by_region.items():
        director = staff.hire("Regional Sales Director", office_ids[0], vp_sales, permanent=True)
        reps = world.reps_by_region.setdefault(code, [])
        for office_id in office_ids:
            manager = staff.hire("Sales Manager", office_id, director, permanent=True)
            for _ in range(rng.randint(3, 6)):
                title = rng.choice(("Account Executive", "Sales Representative"))
                reps.append(staff.hire(title, office_id, manager, permanent=True))
    for title, boss, office_ids in (
        ("Logistics Coordinator", coo, (1, 4, 9)),
        ("Customer Success Manager", coo, (1, 2, 4, 7, 9)),
        ("Finance Analyst", cfo, (1, 1, 4)),
    ):
        for office_id in office_ids:
            staff.hire(title, office_id, boss, permanent=False)
    world.rows["employees"] = staff.rows


def _add_catalogue(world: World, rng: random.Random, spec: DemoSpec) -> None:
    world.rows["product_categories"] = [
        (index, name, description)
        for index, (name, description, _) in enumerate(catalog.CATEGORIES, start=1)
    ]
    world.rows["suppliers"] = [
        (index, name, country, _supplier_email(rng, name), rng.randint(5, 45))
        for index, (name, country) in enumerate(catalog.SUPPLIERS, start=1)
    ]
    products: list[Row] = []
    for category_id, (category, _, return_rate) in enumerate(catalog.CATEGORIES, start=1):
        for name, price, supplier in catalog.PRODUCTS[category]:
            product_id = len(products) + 1
            low, high = catalog.MARGINS[category]
            cost = price * (100 - rng.randint(low, high)) // 100
            launched, stopped = _product_dates(rng, spec)
            sku = f"{category[:3].upper()}-{1000 + product_id}"
            products.append(
                (
                    product_id,
                    sku,
                    name,
                    category_id,
                    supplier + 1,
                    money(price),
                    money(cost),
                    launched.isoformat(),
                    int(stopped is not None),
                    stopped.isoformat() if stopped else None,
                )
            )
            world.product_prices.append(_price_history(price))
            world.product_return_rate.append(return_rate)
    world.rows["products"] = products
    _index_months(world, spec, products)


def _supplier_email(rng: random.Random, name: str) -> str | None:
    if rng.random() < 0.25:
        return None
    return f"purchasing@{ascii_slug(name, '-')}.example"


def _product_dates(rng: random.Random, spec: DemoSpec) -> tuple[date, date | None]:
    """Launch date (most before the window), and a discontinuation date for a few."""
    if rng.random() < 0.75:
        launched = HISTORY_START + timedelta(
            days=rng.randrange((spec.start_date - HISTORY_START).days)
        )
    else:
        launched = spec.start_date + timedelta(days=rng.randrange(spec.days * 2 // 3))
    stopped = None
    if rng.random() < 0.12:
        first = max(launched + timedelta(days=180), spec.start_date + timedelta(days=90))
        span = (spec.end_date - timedelta(days=30) - first).days
        if span > 0:
            stopped = first + timedelta(days=rng.randrange(span))
    return launched, stopped


def _price_history(price: int) -> tuple[int, ...]:
    """List price now, one year ago, two and three years ago (about 4% a year lower)."""
    history = [price]
    for _ in range(3):
        history.append(max(99, history[-1] * 100 // 104 // 100 * 100 - 1))
    return tuple(history)


def _index_months(world: World, spec: DemoSpec, products: list[Row]) -> None:
    """Products on sale in each month of the window, with Zipf-like popularity weights."""
    popularity = list(range(1, len(products) + 1))
    random.Random(f"keskinube-demo:{spec.seed}:popularity").shuffle(popularity)
    months: list[tuple[int, int]] = []
    for index in range(spec.days):
        day = spec.start_date + timedelta(days=index)
        if not months or months[-1] != (day.year, day.month):
            months.append((day.year, day.month))
        world.month_of_day.append(len(months) - 1)
    for year, month in months:
        first = date(year, month, 1).isoformat()
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).isoformat()
        on_sale = [
            index
            for index, row in enumerate(products)
            if str(row[7]) <= first and (row[9] is None or str(row[9]) > last)
        ]
        weights = [1.0 / (popularity[index] + 2) for index in on_sale]
        world.month_products.append((on_sale, list(accumulate(weights))))
