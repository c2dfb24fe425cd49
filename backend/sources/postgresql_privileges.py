"""What a PostgreSQL role may do besides reading, asked of the server's own functions.

`has_*_privilege` answers for the role with everything it inherits (PUBLIC's grants, its
groups'), which is what a query would be allowed to do; catalog ACLs would have to be
resolved by hand. Tables are summarised per schema and privilege set ("INSERT/UPDATE/
DELETE on 12 tables of schema public") instead of listed: a database has hundreds.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

TABLE_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

_ROLE = sa.text(
    "SELECT current_user, current_database(), rolsuper, rolcreaterole, rolcreatedb "
    "FROM pg_roles WHERE rolname = current_user"
)
_DATABASE_CREATE = sa.text("SELECT has_database_privilege(current_database(), 'CREATE')")
_SCHEMAS = sa.text(
    "SELECT nspname, has_schema_privilege(nspname, 'CREATE') FROM pg_namespace "
    "WHERE nspname = ANY(:schemas) ORDER BY nspname"
)
_SEARCH_PATH = sa.text("SELECT current_schemas(false)")
# Tables, views (an updatable view writes its table) and foreign tables of `schemas`;
# `owns`: the role is (or inherits) the owner, who may change them whatever is revoked.
_TABLES = sa.text(
    "SELECT n.nspname, pg_has_role(c.relowner, 'USAGE') AS owns, "
    + ", ".join(f"has_table_privilege(c.oid, '{p}')" for p in TABLE_WRITES)
    + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p', 'v', 'f')"
)
_READABLE = sa.text(
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') "
    "AND has_table_privilege(c.oid, 'SELECT')"
)


def schemas(conn: sa.Connection, schema: str | None) -> list[str]:
    """The schemas questions are asked of: the source's `schema`, else the search path."""
    if schema:
        return [schema]
    return list(conn.execute(_SEARCH_PATH).scalar_one() or [])


def readable_tables(conn: sa.Connection, schema: str) -> int:
    """How many tables of `schema` the role may SELECT from."""
    return int(conn.execute(_READABLE, {"schema": schema}).scalar_one())


def write_privileges(conn: sa.Connection, in_schemas: list[str]) -> tuple[str, ...]:
    """Role attributes, CREATE on the database and the schemas, and table privileges."""
    role = conn.execute(_ROLE).one()
    if role.rolsuper:  # a superuser passes every check below: say it once
        return ("superuser",)
    found = [name for name, held in (("CREATEROLE", role.rolcreaterole),
                                     ("CREATEDB", role.rolcreatedb)) if held]  # fmt: skip
    if conn.execute(_DATABASE_CREATE).scalar_one():
        found.append(f"CREATE on database {role.current_database}")
    for name, create in conn.execute(_SCHEMAS, {"schemas": in_schemas}):
        if create:
            found.append(f"CREATE on schema {name}")
    return (*found, *_table_summary(conn, in_schemas))


def _table_summary(conn: sa.Connection, in_schemas: list[str]) -> list[str]:
    counts: Counter[tuple[str, str]] = Counter()
    for row in conn.execute(_TABLES, {"schemas": in_schemas}):
        schema, owns, *held = row
        if owns:
            counts[(schema, "owner of")] += 1
            continue
        privileges = "/".join(p for p, has in zip(TABLE_WRITES, held, strict=True) if has)
        if privileges:
            counts[(schema, f"{privileges} on")] += 1
    return [
        f"{what} {count} {'table' if count == 1 else 'tables'} of schema {schema}"
        for (schema, what), count in sorted(counts.items())
    ]


def advice(conn: sa.Connection, in_schemas: list[str], *, superuser: bool) -> str:
    """A dedicated role that can only read `in_schemas`, and (unless the current role is a
    superuser, which is best left alone) what to take from the current role."""
    quote = conn.dialect.identifier_preparer.quote
    role_name, database = conn.execute(sa.text("SELECT current_user, current_database()")).one()
    lines = ["-- A dedicated role that can only read:", "CREATE ROLE keskinube LOGIN PASSWORD '…';"]
    lines += _read_only(quote("keskinube"), quote(database), [quote(s) for s in in_schemas])
    if superuser:
        return "\n".join(lines)
    role = quote(role_name)
    lines += [
        "-- Or take from this role what it may do besides reading:",
        f"ALTER ROLE {role} NOCREATEDB NOCREATEROLE;",
        f"REVOKE CREATE ON DATABASE {quote(database)} FROM {role};",
    ]
    for schema in (quote(s) for s in in_schemas):
        lines += [
            f"REVOKE CREATE ON SCHEMA {schema} FROM {role};",
            f"REVOKE {', '.join(TABLE_WRITES)} ON ALL TABLES IN SCHEMA {schema} FROM {role};",
        ]
    lines += _read_only(role, quote(database), [quote(s) for s in in_schemas])
    lines.append("-- A table's owner keeps every right on it: give the tables to another role.")
    return "\n".join(lines)


def _read_only(role: str, database: str, in_schemas: list[str]) -> list[str]:
    lines = [f"GRANT CONNECT ON DATABASE {database} TO {role};"]
    for schema in in_schemas:
        lines += [
            f"GRANT USAGE ON SCHEMA {schema} TO {role};",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role};",
        ]
    return [*lines, f"ALTER ROLE {role} SET default_transaction_read_only = on;"]
