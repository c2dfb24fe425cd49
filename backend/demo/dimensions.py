"""The demo's reference tables (regions, offices, staff, customers, products) and the
lookups the order generator needs from them, bundled as a `World`.

Rows are tuples in the column order of `backend.demo.schema`; dates, times and money are
already formatted as strings ('2026-09-30', '2026-09-30 14:05:00', '899.00'), which every
supported database accepts and which keeps the output byte-identical.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from backend.demo import catalog, names
from backend.demo.spec import DemoSpec

Row = tuple[object, ...]
COMPANY_DOMAIN = "nubeterra.example"
SEGMENTS = (("Consumer", 58, 1.0), ("SMB", 34, 3.0), ("Enterprise", 8, 8.0))
HISTORY_START = date(2019, 1, 1)


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


def build_world(spec: DemoSpec) -> World:
    """Generate every reference table for `spec` (deterministic in `spec.seed`)."""
    rng = random.Random(f"keskinube-demo:{spec.seed}:dimensions")
    world = World()
    _add_regions_and_offices(world)
    _add_employees(world, rng, spec)
    _add_catalogue(world, rng, spec)
    _add_customers(world, rng, spec)
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
        first, last = _person_name(rng, self._office_region(office_id))
        department, (low, high), commission = TITLES[title]
        salary = rng.randrange(low, high + 1, 500)
        if self._office_region(office_id) in HIGH_COST_REGIONS:
            salary = salary * 112 // 100 // 100 * 100
        hired, left = self._dates(office_id, permanent=permanent)
        rate = None if commission is None else f"0.{rng.randint(*commission):03d}"
        employee_id = len(self.rows) + 1
        self.rows.append(
            (employee_id, first, last, self._email(first, last), title, department, office_id,
             manager_id, hired, left, money(salary * 100), rate)
        )  # fmt: skip
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


def _person_name(rng: random.Random, region: str) -> tuple[str, str]:
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
                (product_id, sku, name, category_id, supplier + 1, money(price), money(cost),
                 launched.isoformat(), int(stopped is not None),
                 stopped.isoformat() if stopped else None)
            )  # fmt: skip
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
            index for index, row in enumerate(products)
            if str(row[7]) <= first and (row[9] is None or str(row[9]) > last)
        ]  # fmt: skip
        weights = [1.0 / (popularity[index] + 2) for index in on_sale]
        world.month_products.append((on_sale, list(accumulate(weights))))


def _add_customers(world: World, rng: random.Random, spec: DemoSpec) -> None:
    region_ids = {code: index for index, code in world.region_codes.items()}
    drafts = [_draft_customer(world, rng, spec) for _ in range(spec.customers)]
    drafts.sort(key=lambda draft: draft[0])  # customer ids follow creation time
    used_names: set[str] = set()
    rows: list[Row] = []
    for customer_id, (created, segment, region, city, country, manager) in enumerate(
        drafts, start=1
    ):
        first, last = _person_name(rng, region)
        name = _customer_name(rng, segment, first, last, city, country, used_names)
        rows.append(
            (customer_id, name, segment, first, last,
             _customer_email(rng, segment, first, last, name, country),
             _phone(rng, segment, country), city, country, region_ids[region], manager,
             _timestamp(spec, created))
        )  # fmt: skip
        world.customer_segment.append(segment)
        world.customer_region.append(region)
        world.customer_manager.append(manager)
        world.customer_discount.append(rng.choice((0, 5, 8, 10)) if segment == "Enterprise" else 0)
    world.rows["customers"] = rows
    _index_customers(world, rng, spec, [draft[0] for draft in drafts])


def _draft_customer(
    world: World, rng: random.Random, spec: DemoSpec
) -> tuple[int, str, str, str, str, int | None]:
    """(created, in seconds from the window start; segment; region; city; country; manager)."""
    segment = rng.choices([s[0] for s in SEGMENTS], [s[1] for s in SEGMENTS])[0]
    region = rng.choices(list(names.REGION_SHARE), list(names.REGION_SHARE.values()))[0]
    places = names.CITIES[region]
    country, city, _ = rng.choices(places, [place[2] for place in places])[0]
    if rng.random() < 0.55:
        history = (spec.start_date - HISTORY_START).days
        created_day = -1 - rng.randrange(history)
    else:
        created_day = rng.randrange(spec.days - 30)
    created = created_day * 86400 + rng.randrange(7 * 3600, 21 * 3600)
    managed = rng.random() < (0.9 if segment != "Consumer" else 0.04)
    manager = rng.choice(world.reps_by_region[region]) if managed else None
    return created, segment, region, city, country, manager


def _customer_name(
    rng: random.Random, segment: str, first: str, last: str, city: str, country: str,
    used: set[str],
) -> str:  # fmt: skip
    if segment == "Consumer":
        return f"{first} {last}"
    root, sector = rng.choice(names.COMPANY_ROOTS), rng.choice(names.COMPANY_SECTORS)
    form = rng.choice(names.COMPANY_FORMS[country])
    name = f"{root} {sector} {form}"
    if name in used:
        name = f"{root} {sector} {city} {form}"
    number = 1
    while name in used:
        number += 1
        name = f"{root} {sector} {city} {number} {form}"
    used.add(name)
    return name


TLDS = {
    "United Kingdom": "co.uk", "Ireland": "ie", "Spain": "es", "Portugal": "pt", "France": "fr",
    "Belgium": "be", "Netherlands": "nl", "Germany": "de", "Austria": "at", "Switzerland": "ch",
    "Italy": "it", "Sweden": "se", "Denmark": "dk", "Norway": "no",
}  # fmt: skip


def _customer_email(
    rng: random.Random, segment: str, first: str, last: str, name: str, country: str
) -> str | None:
    if rng.random() < (0.06 if segment == "Consumer" else 0.1):
        return None
    person = ascii_slug(f"{first} {last}")
    if segment == "Consumer":
        return f"{person}{rng.randrange(100)}@{rng.choice(names.PERSONAL_EMAIL_DOMAINS)}"
    words = ascii_slug(name, " ").split()[:2]
    return f"{person}@{'-'.join(words)}.{TLDS[country]}"


def _phone(rng: random.Random, segment: str, country: str) -> str | None:
    if rng.random() < (0.35 if segment == "Consumer" else 0.12):
        return None
    digits = f"{rng.randrange(10**8, 10**9)}"
    return f"{names.PHONE_PREFIXES[country]} {digits[:3]} {digits[3:6]} {digits[6:]}"


def _timestamp(spec: DemoSpec, seconds: int) -> str:
    """'YYYY-MM-DD HH:MM:SS' for a time in seconds from the window's first midnight."""
    day, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{spec.start_date + timedelta(days=day)} {hours:02d}:{minutes:02d}:{secs:02d}"


def _index_customers(world: World, rng: random.Random, spec: DemoSpec, created: list[int]) -> None:
    """Zipf-like buying weights, and how many customers exist before each day."""
    ranks = list(range(1, len(created) + 1))
    rng.shuffle(ranks)
    offset = max(1, len(created) // 100)
    base = {segment: weight for segment, _, weight in SEGMENTS}
    weights = [
        base[segment] / (rank + offset)
        for segment, rank in zip(world.customer_segment, ranks, strict=True)
    ]
    world.customer_cum_weight = list(accumulate(weights))
    world.customers_before_day = [
        max(1, bisect_right(created, day * 86400 - 1)) for day in range(spec.days)
    ]
