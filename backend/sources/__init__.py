"""Data sources: the business databases Keskinube answers questions about."""

from backend.sources.model import (
    KINDS,
    MAIN,
    DataSource,
    InvalidSource,
    Kind,
    UnknownSource,
    database_key,
    main_source,
)

__all__ = [
    "KINDS",
    "MAIN",
    "DataSource",
    "InvalidSource",
    "Kind",
    "UnknownSource",
    "database_key",
    "main_source",
]
