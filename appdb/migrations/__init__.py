"""Alembic migrations of the app database: `env.py`, the frozen baseline, `versions/`.

A schema change is a new file in `versions/` (copy the newest, set `revision` and
`down_revision`, write `upgrade`) together with the change to `appdb.tables`; the
migration tests check that a database at head matches the metadata.
"""
