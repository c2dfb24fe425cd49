"""What every start of Keskinube checks first: the settings and the app database.

`open_app_auth` is what the app does on its first page run (open the app database,
create the first admin from ADMIN_USERNAME/ADMIN_PASSWORD); `check_startup` does the
same once and closes it again, so `keskinube serve` can refuse to start the web server
on bad settings and print the very line the page would show. `startup_message` turns
whatever went wrong into that one line, in the reader's language: never a stack trace.
"""

from __future__ import annotations

import logging

from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from backend.config import Settings, get_settings
from backend.errors import KeskinubeError
from backend.i18n import t

log = logging.getLogger(__name__)


def open_app_auth(settings: Settings, *, hasher: PasswordHasher | None = None) -> AuthServices:
    """The auth services on the app database, with the first admin the settings name."""
    admin_password = settings.admin_password
    return open_auth(
        settings.app_db_url,
        admin_username=settings.admin_username,
        admin_password=admin_password.get_secret_value() if admin_password else None,
        hasher=hasher,
    )


def check_startup() -> None:
    """Raise what the app would refuse to start on (a `KeskinubeError`, or any other
    error opening the app database); return quietly when it can start."""
    open_app_auth(get_settings()).close()


def startup_message(error: BaseException, language: str | None) -> str:
    """The one line that says why Keskinube cannot start (the detail goes to the log)."""
    if isinstance(error, KeskinubeError):
        return " ".join(error.render(language).split())
    # The server's log gets the cause in one line too (a traceback only at debug level).
    cause = (str(error).strip().splitlines() or [""])[0]
    log.warning("the app database could not be opened: %s: %s", type(error).__name__, cause)
    log.debug("the app database could not be opened", exc_info=error)
    return t("app.error.app_database", language)
