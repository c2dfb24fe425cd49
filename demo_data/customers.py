"""The demo's customers: businesses and consumers across six European regions, with the
Zipf-like buying weights that make a few of them account for most orders."""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from demo_data import names
from demo_data.spec import DemoSpec
from demo_data.world import Row, World, ascii_slug, person_name

# (segment, percent of customers, relative buying weight)
SEGMENTS = (("Consumer", 58, 1.0), ("SMB", 34, 3.0), ("Enterprise", 8, 8.0))
HISTORY_START = date(2019, 1, 1)


def add_customers(world: World, rng: random.Random, spec: DemoSpec) -> None:
    """Customer rows (ids in order of creation) and their lookups, added to `world`."""
    region_ids = {code: index for index, code in world.region_codes.items()}
    drafts = [_draft_customer(world, rng, spec) for _ in range(spec.customers)]
    drafts.sort(key=lambda draft: draft[0])  # customer ids follow creation time
    used_names: set[str] = set()
    rows: list[Row] = []
    for customer_id, (created, segment, region, city, country, manager) in enumerate(
        drafts, start=1
    ):
        first, last = person_name(rng, region)
        name = _customer_name(rng, segment, first, last, city, country, used_names)
        rows.append(
            (
                customer_id,
                name,
                segment,
                first,
                last,
                _customer_email(rng, segment, first, last, name, country),
                _phone(rng, segment, country),
                city,
                country,
                region_ids[region],
                manager,
                _timestamp(spec, created),
            )
        )
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
    rng: random.Random,
    segment: str,
    first: str,
    last: str,
    city: str,
    country: str,
    used: set[str],
) -> str:
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
    "United Kingdom": "co.uk",
    "Ireland": "ie",
    "Spain": "es",
    "Portugal": "pt",
    "France": "fr",
    "Belgium": "be",
    "Netherlands": "nl",
    "Germany": "de",
    "Austria": "at",
    "Switzerland": "ch",
    "Italy": "it",
    "Sweden": "se",
    "Denmark": "dk",
    "Norway": "no",
}


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
