"""Who may see what: per source and role, whether the role may use the source at all, its
allowed tables and denied columns, and row filters.

Every rule names a data source (`backend.sources`; `main` is DATABASE_URL's). Admins use
every source; other roles use `main` unless a rule says otherwise, and an added source
only once a rule allows it. A role without a stored policy may read every table and column
of a source it may use. Row filters belong to a role or to one user; a user's
`AccessPolicy` holds both kinds, and the SQL guard applies them all (ANDed per table),
filling `:user.<attr>` placeholders from `Actor.attributes`.
Predicates are parsed here only to refuse obvious mistakes early; the guard stays the
authority that compiles them on every query.

The defaults a new app database starts with (analysts may not read `employees.salary`)
are seeded by `appdb.seed`, once per database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from appdb.clock import Clock, utc_now
from appdb.tables import role_policies, row_filters
from auth.errors import InvalidPolicy
from auth.roles import ADMIN
from auth.users import User
from auth.validation import normalise_username, valid_role
from backend.domain import AccessPolicy, Actor, RowFilter
from backend.i18n import DEFAULT_LANGUAGE, Message, normalise_language
from backend.sources import MAIN, UnknownSource

_NAME = re.compile(r"[^\s.`'\"]+")
DESCRIPTION_LIMIT = 300  # one sentence under an answer, not a policy document


@dataclass(frozen=True)
class RolePolicy:
    """A role's rules on one source; `allowed_tables=None` means every table.

    `source_allowed=None`: the default (see `may_use`)."""

    role: str
    allowed_tables: frozenset[str] | None = None
    denied_columns: frozenset[tuple[str, str]] = frozenset()
    source: str = MAIN
    source_allowed: bool | None = None

    @property
    def may_use_source(self) -> bool:
        if self.role == ADMIN:
            return True
        return self.source == MAIN if self.source_allowed is None else self.source_allowed


@dataclass(frozen=True)
class StoredRowFilter:
    """A row filter as stored: attached to `role` or to `username` (exactly one is set).

    `description`: the admin's plain words for it, shown under the answers it shaped.
    """

    id: int
    table: str
    predicate: str
    role: str | None
    username: str | None
    created_at: datetime
    created_by: str | None
    description: str | None = None
    source: str = MAIN

    def as_row_filter(self) -> RowFilter:
        return RowFilter(self.table, self.predicate, self.description)


class PolicyStore:
    """Reads and edits access rules; builds the `AccessPolicy`/`Actor` the engine uses."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def role_policy(self, role: str, *, source: str = MAIN) -> RolePolicy:
        """The stored rules of `role` on `source` (the defaults when none are stored)."""
        role = valid_role(role)
        query = sa.select(role_policies).where(
            role_policies.c.role == role, role_policies.c.source == source
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return RolePolicy(role=role, source=source)
        allowed = row["allowed_tables"]
        return RolePolicy(
            role=role,
            allowed_tables=None if allowed is None else frozenset(allowed),
            denied_columns=frozenset((t, c) for t, c in row["denied_columns"] or ()),
            source=source,
            source_allowed=row["source_allowed"],
        )

    def may_use(self, role: str, source: str) -> bool:
        """True when `role` may ask questions of `source` (admins: every source)."""
        return self.role_policy(role, source=source).may_use_source

    def usable_sources(self, role: str, sources: Iterable[str]) -> list[str]:
        """Those of `sources` that `role` may use, in the given order."""
        names = list(sources)
        if valid_role(role) == ADMIN:
            return names
        query = sa.select(role_policies.c.source, role_policies.c.source_allowed).where(
            role_policies.c.role == role
        )
        with self.engine.connect() as conn:
            stored = {source: allowed for source, allowed in conn.execute(query)}
        return [
            name
            for name in names
            if RolePolicy(role, source=name, source_allowed=stored.get(name)).may_use_source
        ]

    def set_source_allowed(
        self, role: str, source: str, allowed: bool | None, *, by: str | None = None
    ) -> RolePolicy:
        """Let `role` use `source` (True), not (False), or the default (None)."""
        self._save(valid_role(role), by, source=source, source_allowed=allowed)
        return self.role_policy(role, source=source)

    def set_allowed_tables(
        self,
        role: str,
        tables: Iterable[str] | None,
        *,
        source: str = MAIN,
        by: str | None = None,
    ) -> RolePolicy:
        """Allow only `tables` of `source` to `role`; None allows every table."""
        cleaned = None if tables is None else sorted({_valid_name(t, "table") for t in tables})
        self._save(valid_role(role), by, source=source, allowed_tables=cleaned)
        return self.role_policy(role, source=source)

    def set_denied_columns(
        self,
        role: str,
        columns: Iterable[tuple[str, str] | str],
        *,
        source: str = MAIN,
        by: str | None = None,
    ) -> RolePolicy:
        """Deny `columns` of `source` to `role`: (table, column) pairs or "table.column"."""
        cleaned = sorted({_valid_column(column) for column in columns})
        pairs = [list(pair) for pair in cleaned]
        self._save(valid_role(role), by, source=source, denied_columns=pairs)
        return self.role_policy(role, source=source)

    def add_row_filter(
        self,
        table: str,
        predicate: str,
        *,
        role: str | None = None,
        username: str | None = None,
        description: str | None = None,
        source: str = MAIN,
        by: str | None = None,
    ) -> StoredRowFilter:
        """Attach a filter such as `region_id = :user.region_id` to a role or to one user.

        `description` words it for the people it filters ("Only customers of region
        :user.region_name are included."); blank is none.
        """
        if (role is None) == (username is None):
            raise InvalidPolicy(Message.of("auth.policy.one_owner"))
        values = {
            "source": source,
            "table_name": _valid_name(table, "table"),
            "predicate": _valid_predicate(predicate),
            "description": _valid_description(description),
            "role": None if role is None else valid_role(role),
            "username": None if username is None else normalise_username(username),
            "created_at": self.clock(),
            "created_by": by,
        }
        with self.engine.begin() as conn:
            inserted = conn.execute(sa.insert(row_filters).values(**values)).inserted_primary_key
            assert inserted is not None
            query = sa.select(row_filters).where(row_filters.c.id == inserted[0])
            row = conn.execute(query).mappings().one()
        return _to_filter(row)

    def remove_row_filter(self, filter_id: int) -> None:
        """Delete one row filter; an unknown id is an error."""
        with self.engine.begin() as conn:
            deleted = conn.execute(sa.delete(row_filters).where(row_filters.c.id == filter_id))
        if not deleted.rowcount:
            raise InvalidPolicy(Message.of("auth.policy.no_filter", id=filter_id))

    def row_filters(
        self,
        *,
        role: str | None = None,
        username: str | None = None,
        source: str | None = None,
    ) -> list[StoredRowFilter]:
        """Filters of `role`, of `username`, of either when both are given, or all; of
        `source` only, when given."""
        query = sa.select(row_filters).order_by(row_filters.c.id)
        if source is not None:
            query = query.where(row_filters.c.source == source)
        owners = []
        if role is not None:
            owners.append(row_filters.c.role == role.strip().lower())
        if username is not None:
            owners.append(row_filters.c.username == normalise_username(username))
        if owners:
            query = query.where(sa.or_(*owners))
        with self.engine.connect() as conn:
            return [_to_filter(row) for row in conn.execute(query).mappings()]

    def policy_for_role(self, role: str, *, source: str = MAIN) -> AccessPolicy:
        """The policy of `role` alone on `source`: its table/column rules and its own row
        filters (UnknownSource when the role may not use the source)."""
        stored = self._usable(self.role_policy(role, source=source))
        return self._policy(stored, self.row_filters(role=role, source=source))

    def policy_for(self, user: User, *, source: str = MAIN) -> AccessPolicy:
        """The policy of `user` on `source`: the role's rules plus the role's and the user's
        row filters (UnknownSource when the role may not use the source)."""
        stored = self._usable(self.role_policy(user.role, source=source))
        filters = self.row_filters(role=user.role, username=user.username, source=source)
        return self._policy(stored, filters)

    def actor_for(
        self, user: User, *, source: str = MAIN, default_language: str | None = None
    ) -> Actor:
        """What the engine needs to answer for `user` on `source`: role, policy,
        attributes, language. UnknownSource when the user may not use `source`: a caller
        that forgets to check still gets no policy to answer with.

        The language is the user's own choice, else `default_language` (the reader's
        language as the UI worked it out: KESKINUBE_LANGUAGE, the browser's), else English.
        """
        return Actor(
            username=user.username,
            role=user.role,
            policy=self.policy_for(user, source=source),
            source=source,
            attributes=tuple(sorted(user.attributes.items())),
            language=user.language or normalise_language(default_language) or DEFAULT_LANGUAGE,
        )

    def _usable(self, stored: RolePolicy) -> RolePolicy:
        if not stored.may_use_source:
            raise UnknownSource(Message.of("sources.unknown", name=stored.source))
        return stored

    def _policy(self, stored: RolePolicy, filters: list[StoredRowFilter]) -> AccessPolicy:
        return AccessPolicy(
            allowed_tables=stored.allowed_tables,
            denied_columns=stored.denied_columns,
            row_filters=tuple(item.as_row_filter() for item in filters),
        )

    def _save(self, role: str, by: str | None, *, source: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            _upsert_policy(conn, role, source, updated_at=self.clock(), updated_by=by, **values)


def _upsert_policy(conn: sa.Connection, role: str, source: str, **values: Any) -> None:
    where = sa.and_(role_policies.c.role == role, role_policies.c.source == source)
    if conn.execute(sa.select(role_policies.c.role).where(where)).first() is None:
        conn.execute(sa.insert(role_policies).values(role=role, source=source, **values))
    else:
        conn.execute(sa.update(role_policies).where(where).values(**values))


def _to_filter(row: sa.RowMapping) -> StoredRowFilter:
    return StoredRowFilter(
        id=row["id"],
        table=row["table_name"],
        predicate=row["predicate"],
        role=row["role"],
        username=row["username"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        description=row["description"],
        source=row["source"],
    )


def _valid_name(name: str, kind: Literal["table", "column"]) -> str:
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned) or len(cleaned) > 128:
        key = "auth.policy.bad_table" if kind == "table" else "auth.policy.bad_column_name"
        raise InvalidPolicy(Message.of(key, name=name))
    return cleaned


def _valid_column(column: tuple[str, str] | str) -> tuple[str, str]:
    parts = column.split(".") if isinstance(column, str) else list(column)
    if len(parts) != 2:
        raise InvalidPolicy(Message.of("auth.policy.bad_column", column=str(column)))
    return _valid_name(parts[0], "table"), _valid_name(parts[1], "column")


def _valid_description(description: str | None) -> str | None:
    """One line of plain text: it is shown as a caption, where a line break means nothing."""
    cleaned = " ".join((description or "").split())
    if len(cleaned) > DESCRIPTION_LIMIT:
        raise InvalidPolicy(Message.of("auth.policy.description_too_long", limit=DESCRIPTION_LIMIT))
    return cleaned or None


def _valid_predicate(predicate: str) -> str:
    """Refuse what the guard would refuse anyway: not one condition, or a subquery."""
    cleaned = predicate.strip().rstrip(";").strip()
    try:
        trees = [tree for tree in sqlglot.parse(cleaned, read="mysql") if tree is not None]
    except SqlglotError:
        trees = []
    if len(trees) != 1 or not isinstance(trees[0], exp.Condition):
        raise InvalidPolicy(Message.of("auth.policy.not_condition", predicate=predicate))
    if trees[0].find(exp.Query, exp.Table):
        raise InvalidPolicy(Message.of("auth.policy.subquery"))
    return cleaned
