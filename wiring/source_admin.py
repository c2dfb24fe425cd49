"""An admin's changes to data sources: each one tested first, and each written to the
audit log as an `admin_action` of the acting admin.

The page "Data sources" calls these instead of the stores, so that it stays a page and
every change is recorded the same way. A source is tested (`check_source`) before it is
saved: one that cannot connect is saved only when the admin says so, and a test that saved
nothing is recorded too (it reached a server on the admin's behalf). Errors are the
stores' `KeskinubeError`s, whose messages are meant for the admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auth.admin import AdminActions
from auth.roles import ADMIN, ANALYST, MANAGER
from auth.services import AuthServices
from backend.i18n.message import Message
from backend.sources import DataSource
from backend.sources.check import SourceCheck, check_source
from backend.sources.form import SourceForm
from vectorstore.writer import IndexStats
from wiring.services import Progress, index_database
from wiring.sources import SourceRegistry, check_not_app_database

# The roles a source is given to; admins use every source.
CHOOSABLE_ROLES: tuple[str, ...] = (ANALYST, MANAGER)


@dataclass(frozen=True)
class Saved:
    """What adding or editing did: the test's findings, and the source as saved (None:
    not saved, because it could not connect and the admin did not insist)."""

    check: SourceCheck
    source: DataSource | None = None


class SourceAdmin:
    """What one admin (`by`) may change on the data sources of `registry`."""

    def __init__(
        self,
        registry: SourceRegistry,
        auth: AuthServices,
        *,
        by: str,
        timeout_s: float = 5.0,
    ) -> None:
        self.registry = registry
        self.store = registry.store
        self.policies = auth.policies
        self.actions = AdminActions(auth, by=by)
        self.by = by
        self.timeout_s = timeout_s

    def roles_of(self, name: str) -> list[str]:
        """The roles that may use source `name`, admins first."""
        return [ADMIN, *(r for r in CHOOSABLE_ROLES if self.policies.may_use(r, name))]

    def add(
        self,
        form: SourceForm,
        password: str | None,
        *,
        roles: Iterable[str] = (),
        save_anyway: bool = False,
    ) -> Saved:
        """Test and add a source; `roles` may use it from then on."""
        source = self._settings(form)
        check = check_source(source, password or None, timeout_s=self.timeout_s)
        if not check.connected and not save_anyway:
            self._record("datasources.audit.not_added", source, outcome=outcome(check))
            return Saved(check)
        saved = self.store.add(source, password or None, by=self.by)
        chosen = [role for role in CHOOSABLE_ROLES if role in set(roles)]
        for role in chosen:
            self.policies.set_source_allowed(role, saved.name, True, by=self.by)
        who = ", ".join(chosen) or Message.of("datasources.audit.admins_only")
        self._record("datasources.audit.added", saved, roles=who, outcome=outcome(check))
        return Saved(check, saved)

    def update(
        self,
        form: SourceForm,
        password: str | None,
        *,
        clear_password: bool = False,
        save_anyway: bool = False,
    ) -> Saved:
        """Test and save new settings of a stored source; a blank `password` keeps the
        stored one unless `clear_password` removes it."""
        source = self._settings(form)
        self.store.get(source.name)  # UnknownSource before anything is tried
        if password:
            secret: str | None = password
        else:
            secret = None if clear_password else self.store.password(source.name)
        check = check_source(source, secret, timeout_s=self.timeout_s)
        if not check.connected and not save_anyway:
            self._record("datasources.audit.not_edited", source, outcome=outcome(check))
            return Saved(check)
        saved = self.store.update(
            source,
            password=password or None,
            clear_password=clear_password and not password,
            by=self.by,
        )
        change = "changed" if password else "removed" if clear_password else "kept"
        self._record(
            "datasources.audit.edited",
            saved,
            password=Message.of(f"datasources.audit.password_{change}"),
            outcome=outcome(check),
        )
        return Saved(check, saved)

    def test(self, name: str) -> SourceCheck:
        """Test a stored source with its stored password."""
        source = self.store.get(name)
        check_not_app_database(self.registry.settings, source)
        check = check_source(source, self.store.password(name), timeout_s=self.timeout_s)
        self._record("datasources.audit.tested", source, outcome=outcome(check))
        return check

    def remove(self, name: str) -> None:
        """Remove a stored source and its access rules, and close its services."""
        source = self.store.get(name)
        self.store.remove(source.name)
        self.registry.drop_index(source)
        self.actions.record("datasources.audit.removed", name=source.name)

    def set_allowed(self, role: str, name: str, allowed: bool) -> None:
        """Let `role` use source `name` (`main` included), or not."""
        self.policies.set_source_allowed(role, name, allowed, by=self.by)
        key = "datasources.audit.allowed" if allowed else "datasources.audit.denied"
        self.actions.record(key, role=role, name=name)

    def reindex(self, name: str, *, progress: Progress | None = None) -> IndexStats:
        """Build the services of source `name` (when not built yet) and index its schema."""
        # Not prepared first: that would index it once more without progress.
        services = self.registry.services(name, prepare=False)
        stats = index_database(services, progress=progress)
        summary = Message.of("admin.access.index.summary", **stats.counts())
        self.actions.record("datasources.audit.reindexed", name=name, summary=summary)
        return stats

    def _settings(self, form: SourceForm) -> DataSource:
        source = form.to_source()
        check_not_app_database(self.registry.settings, source)
        return source

    def _record(self, key: str, source: DataSource, **params: object) -> None:
        self.actions.record(key, name=source.name, kind=source.kind, where=source.where(), **params)


def outcome(check: SourceCheck) -> Message:
    """A test's findings in a few words, for the audit log."""
    if check.error is not None:
        return Message.of("datasources.audit.unreachable", reason=check.error)
    if check.write_privileges:
        privileges = "; ".join(check.write_privileges)
        return Message.of("datasources.audit.writes", privileges=privileges, tables=check.tables)
    return Message.of("datasources.audit.read_only", tables=check.tables)
