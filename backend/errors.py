"""Domain exceptions. Each carries the message a user should read; detail goes to the log.

A message is either plain text (English only) or a `backend.i18n.Message`, which the
page renders in the reader's language; `str(error)` is English either way.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.i18n.message import Message

DATABASE_ERRORS: tuple[type[Exception], ...] = (sa.exc.SQLAlchemyError,)
"""What a call on a database may raise besides a `KeskinubeError`: the pages catch these
without importing SQLAlchemy (the UI talks to databases only through the core)."""


class KeskinubeError(Exception):
    """Base class: `str(error)` is safe to show in the page or the terminal."""

    def __init__(self, message: str | Message = "", /) -> None:
        self.message: Message | None = message if isinstance(message, Message) else None
        super().__init__(str(message))

    def render(self, language: str | None) -> str:
        """The message in `language` when it is a catalogue message, else as written."""
        return self.message.render(language) if self.message is not None else str(self)


class SettingsError(KeskinubeError):
    """A setting is missing or malformed; the message names the variable."""


class SqlRejected(KeskinubeError):
    """The SQL guard refused a statement; the message says why."""


class QueryFailed(KeskinubeError):
    """The database raised an error while running an accepted statement.

    `code` is the database's error number when it gave one (for the audit log); the
    message never holds the database's text when that text could carry row values
    (`backend.adapters.db_errors`).
    """

    def __init__(self, message: str | Message = "", /, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class QueryTimeout(QueryFailed):
    """The database stopped a statement that ran past the time limit."""


class DatabaseUnavailable(KeskinubeError):
    """The business database cannot be reached."""


class ModelUnavailable(KeskinubeError):
    """Ollama cannot be reached, or the model is not pulled."""


class EmbeddingsUnavailable(ModelUnavailable):
    """The embedding model cannot be used; retrieval falls back to sparse vectors."""


class IndexBusy(KeskinubeError):
    """The embedded Qdrant folder is held by another process."""
