"""An admin's changes to users and access rules, each written to the audit log.

The admin pages call these instead of the stores directly, so that every change is
recorded the same way (as an `admin_action` by the acting admin) and the pages stay thin.
Errors are the stores' own `AuthError`s, whose messages are meant for the admin. Audit
details are records, written once in English (like the log), not messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auth.errors import InvalidUserData
from auth.services import AuthServices
from auth.users import CreatedUser
from backend.i18n import Message


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
        self.record(f"created {user.role} {user.username}" + _language_note(user.language))
        return created

    def set_role(self, username: str, role: str) -> None:
        """Change the role (the last active admin can't be demoted)."""
        user = self.services.users.set_role(username, role)
        self.record(f"set the role of {user.username} to {user.role}")

    def set_language(self, username: str, language: str | None) -> None:
        """Set the user's language; None goes back to the app's default."""
        user = self.services.users.set_language(username, language)
        self.record(f"set the language of {user.username} to {user.language or 'the default'}")

    def disable(self, username: str) -> None:
        """Refuse the user's logins; their open sessions end on their next click."""
        user = self.services.users.disable(username)
        self.record(f"disabled {user.username}")

    def enable(self, username: str) -> None:
        user = self.services.users.enable(username)
        self.record(f"enabled {user.username}")

    def delete(self, username: str) -> None:
        name = self.services.users.get_user(username).username
        self.services.users.delete(name)
        self.record(f"deleted {name}")

    def reset_password(self, username: str, password: str | None = None) -> str | None:
        """Set a new password; returns the generated one (show it once) when none is given."""
        name = self.services.users.get_user(username).username
        generated = self.services.users.reset_password(name, password or None)
        self.record(f"reset the password of {name}")
        return generated

    def unlock(self, username: str) -> None:
        name = self.services.users.get_user(username).username
        self.services.lockout.unlock(name)
        self.record(f"ended the lockout of {name}")

    def set_attributes(self, username: str, attributes: Mapping[str, object]) -> None:
        """Replace the attributes row filters read through `:user.<name>`."""
        user = self.services.users.set_attributes(username, attributes)
        self.record(f"set the attributes of {user.username}: {format_attributes(user.attributes)}")

    # -- access rules ----------------------------------------------------------------------
    def set_table_rules(
        self, role: str, *, allowed_tables: Iterable[str] | None, denied_columns: Iterable[str]
    ) -> None:
        """Replace `role`'s allowed tables (None: all) and denied `table.column`s."""
        policies = self.services.policies
        allowed = None if allowed_tables is None else list(allowed_tables)
        denied = list(denied_columns)
        policies.set_allowed_tables(role, allowed, by=self.by)
        policies.set_denied_columns(role, denied, by=self.by)
        tables = "all tables" if allowed is None else ", ".join(sorted(allowed)) or "no tables"
        self.record(
            f"set the rules of {role}: {tables}; denied columns: {', '.join(denied) or 'none'}"
        )

    def add_row_filter(
        self, table: str, predicate: str, *, role: str | None = None, username: str | None = None
    ) -> None:
        stored = self.services.policies.add_row_filter(
            table, predicate, role=role, username=username, by=self.by
        )
        owner = f"role {stored.role}" if stored.role else f"user {stored.username}"
        self.record(f"added row filter #{stored.id} on {stored.table} for {owner}: {predicate}")

    def remove_row_filter(self, filter_id: int) -> None:
        self.services.policies.remove_row_filter(filter_id)
        self.record(f"removed row filter #{filter_id}")

    def record_reindex(self, summary: str) -> None:
        """Note a re-index of the schema, with its counts, in the audit log."""
        self.record(f"re-indexed the schema: {summary}")

    def record(self, detail: str) -> None:
        """Note another admin action in the audit log."""
        self.services.audit.record_admin(self.by, detail)


def format_attributes(attributes: Mapping[str, str]) -> str:
    """`region_id=3, team=north` (sorted), or "none" (for the audit log)."""
    return ", ".join(f"{key}={value}" for key, value in sorted(attributes.items())) or "none"


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


def _language_note(language: str | None) -> str:
    return f" (language {language})" if language else ""
