"""Time for the app database and its stores: naive UTC datetimes, and an injectable clock.

Every timestamp stored in the app database is a naive `datetime` in UTC, because SQLite and
MySQL `DATETIME` columns keep no time zone. Services take a `Clock` so that tests move time
forward instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time as a naive UTC datetime (the default `Clock`)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_utc_naive(moment: datetime) -> datetime:
    """Normalise an aware datetime to naive UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
