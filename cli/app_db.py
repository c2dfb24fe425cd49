"""The auth services on the app database, opened for one command and closed after it.

`--app-db URL` (when given) wins over `APP_DATABASE_URL`; the database is migrated to
head and seeded on opening, like the app does (`auth.services.open_auth`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auth.services import AuthServices


@contextmanager
def opened_auth(app_db: str | None) -> Iterator[AuthServices]:
    """The auth services on `app_db`, else on the settings' app database."""
    from auth.services import open_auth
    from backend.config import get_settings

    services = open_auth(app_db or get_settings().app_db_url)
    try:
        yield services
    finally:
        services.close()
