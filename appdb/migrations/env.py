"""Alembic's environment: runs the revisions on the connection `appdb.migrate` passes in.

No alembic.ini and no URL here: the app opens its own engine (`appdb.engine`) and hands the
connection over in `config.attributes["connection"]`.
"""

from __future__ import annotations

from alembic import context

import appdb.tables  # noqa: F401  (registers every table on the metadata, for autogenerate)
from appdb.schema import metadata

connection = context.config.attributes["connection"]
# Batch mode lets a later revision alter a column on SQLite (it copies the table).
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
