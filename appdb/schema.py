"""The app database's `MetaData` and the column types and sizes its tables share.

The same tables run on SQLite (the default `APP_DATABASE_URL`) and MySQL/MariaDB, so the
types here carry a variant per dialect. Timestamps are naive UTC (see `appdb.clock`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# Named constraints and indexes: Alembic revisions and the pre-Alembic upgrade find them by
# name, and the names are the same on every dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Microseconds on MySQL too, so attempts within one second keep their order.
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# BIGINT does not auto-increment on SQLite (only INTEGER PRIMARY KEY does).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# A conversation turn's payload (result rows as JSON) outgrows MySQL's 64 KB TEXT.
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

USERNAME_LENGTH = 64
ROLE_LENGTH = 16
CLIENT_LENGTH = 64  # an IPv6 address is at most 45 characters
IDENTIFIER_LENGTH = 128  # table and column names (MySQL allows 64; room for other databases)
TEXT_LIMIT = 20_000  # longest question/SQL/detail kept in the audit log (MySQL TEXT: 64 KB)
