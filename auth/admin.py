"""An admin's changes to users and access rules, each written to the audit log.

The admin pages call these instead of the stores directly, so that every change is
recorded the same way (as an `admin_action` by the acting admin) and the pages stay thin;
the command line's `keskinube users` records through them too. Errors are the stores' own
`AuthError`s, whose messages are meant for the admin. Audit details are catalogue messages:
stored in English for search and export, shown in the reader's language (`auth.audit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auth.errors import InvalidUserData
from auth.lockout import attempt_key
from auth.services import AuthServices
from auth.users import CreatedUser
from backend.i18n import Message
from backend.sources import MAIN


class AdminActions:
    """What one admin (`by`) may change; every method records one audit row on success."""

    def __init__(self, services: AuthServices, *, by: str) -> None:
        self.services = services
        self.by = by

    # -- users -----------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        *,
        role: str,
        name: str = "",
        email: str = "",
        password: str | None = None,
        language: str | None = None,
    ) -> CreatedUser:
        """Add an account; with no password one is generated (show it once)."""
        created = self.services.users.create_user(
            username,
            role=role,
            name=name,
            email=email,
            password=password or None,
            language=language or None,
        )
        user = created.user
        if user.language:
            self.record(
                "audit.detail.created_user_language",
                role=user.role,
                username=user.username,
                language=user.language,
            )
        else:
            self.record("audit.detail.created_user", role=user.role, username=user.username)
        return created

    def set_role(self, username: str, role: str) -> None:
        """Change the role (the last active admin can't be demoted)."""
        user = self.services.users.set_role(username, role)
        self.record("audit.detail.role_set", username=user.username, role=user.role)

    def set_language(self, username: str, language: str | None) -> None:
        """Set the user's language; None goes back to the app's default."""
        user = self.services.users.set_language(username, language)
        if user.language:
            self.record("audit.detail.language_set", username=user.username, language=user.language)
        else:
            self.record("audit.detail.language_default", username=user.username)

    def disable(self, username: str) -> None:
        """Refuse the user's logins and end their open sessions (at their next click)."""
        user = self.services.users.disable(username)
        self.record("audit.detail.disabled", username=user.username)

    def enable(self, username: str) -> None:
        user = self.services.users.enable(username)
        self.record("audit.detail.enabled", username=user.username)

    def delete(self, username: str) -> dict[str, int]:
        """Delete the account and everything it owns in one transaction (`auth.user_data`);
        returns the rows removed per kind."""
        name = self.services.users.get_user(username).username
        removed = self.services.users.delete(name, by=self.by)
        self.record("audit.detail.deleted", username=name)
        return removed

    def reset_password(self, username: str, password: str | None = None) -> str | None:
        """Set a new password and end the user's sessions; returns the generated one (show
        it once) when none is given."""
        name = self.services.users.get_user(username).username
        generated = self.services.users.reset_password(name, password or None)
        self.record("audit.detail.password_reset", username=name)
        return generated

    def unlock(self, username: str) -> None:
        """End a lock, also one on a name that has no account (attempts lock any name)."""
        name = attempt_key(username)
        self.services.lockout.unlock(name)
        self.record("audit.detail.unlocked", username=name)

    def set_attributes(self, username: str, attributes: Mapping[str, object]) -> None:
        """Replace the attributes row filters read through `:user.<name>`."""
        user = self.services.users.set_attributes(username, attributes)
        shown = format_attributes(user.attributes) or Message.of("audit.detail.none")
        self.record("audit.detail.attributes_set", username=user.username, attributes=shown)

    # -- access rules ----------------------------------------------------------------------
    def set_table_rules(
        self,
        role: str,
        *,
        allowed_tables: Iterable[str] | None,
        denied_columns: Iterable[str],
        source: str = MAIN,
    ) -> None:
        """Replace `role`'s allowed tables (None: all) and denied `table.column`s on data
        source `source`."""
        policies = self.services.policies
        allowed = None if allowed_tables is None else list(allowed_tables)
        denied = list(denied_columns)
        policies.set_allowed_tables(role, allowed, source=source, by=self.by)
        policies.set_denied_columns(role, denied, source=source, by=self.by)
        tables: str | Message
        if allowed is None:
            tables = Message.of("audit.detail.all_tables")
        elif allowed:
            tables = ", ".join(sorted(allowed))
        else:
            tables = Message.of("audit.detail.no_tables")
        columns = ", ".join(denied) if denied else Message.of("audit.detail.none")
        self.record(
            "audit.detail.rules_set", role=role, tables=tables, columns=columns, source=source
        )

    def add_row_filter(
        self,
        table: str,
        predicate: str,
        *,
        role: str | None = None,
        username: str | None = None,
        description: str | None = None,
        source: str = MAIN,
    ) -> None:
        stored = self.services.policies.add_row_filter(
            table,
            predicate,
            role=role,
            username=username,
            description=description,
            source=source,
            by=self.by,
        )
        key = "audit.detail.row_filter_role" if stored.role else "audit.detail.row_filter_user"
        self.record(
            key,
            id=stored.id,
            table=stored.table,
            owner=stored.role or stored.username,
            predicate=predicate,
            source=source,
        )

    def remove_row_filter(self, filter_id: int) -> None:
        self.services.policies.remove_row_filter(filter_id)
        self.record("audit.detail.row_filter_removed", id=filter_id)

    def record_reindex(self, summary: Message) -> None:
        """Note a re-index of the schema, with its counts, in the audit log."""
        self.record("audit.detail.reindexed", summary=summary)

    def record(self, key: str, /, **params: object) -> None:
        """Note an admin action in the audit log: a catalogue key and its values."""
        self.services.audit.record_admin(self.by, Message.of(key, **params))


def format_attributes(attributes: Mapping[str, str]) -> str:
    """`region_id=3, team=north` (sorted); empty when there are none."""
    return ", ".join(f"{key}={value}" for key, value in sorted(attributes.items()))


def parse_attributes(text: str) -> dict[str, str]:
    """Attributes typed one `name=value` per line (blank lines ignored)."""
    parsed: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidUserData(Message.of("auth.attribute.syntax", line=line.strip()))
        parsed[name.strip()] = value.strip()
    return parsed
