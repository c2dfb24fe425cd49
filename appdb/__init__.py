"""The app database: its tables, engine, Alembic migrations and default rows.

Users, sessions, lockouts, policies, row filters and audit (auth), conversations,
dashboards, feedback and knowledge (backend's stores), and `app_meta`. Every table is in
`appdb.tables` on one `MetaData`; `appdb.engine.create_app_engine` opens SQLite (the
default) or MySQL/MariaDB; `appdb.migrate.upgrade` brings a database to the newest schema
and seeds its defaults at start-up. This package imports no other package of ours: auth
and backend build on it.
"""
