"""Roles and the pages each may open: plain data for the navigation and the page guards.

The UI builds its navigation from `pages_for_role` and each page calls `can_open` (or the
adapter does it once for the page list), so a page a role may not open is neither shown nor
reachable by a direct visit.
"""

from __future__ import annotations

from collections.abc import Mapping

ADMIN = "admin"
MANAGER = "manager"
ANALYST = "analyst"
ROLES: tuple[str, ...] = (ADMIN, MANAGER, ANALYST)

# Page identifiers; the UI maps each to a page file.
PAGE_CHAT = "chat"
PAGE_DASHBOARDS = "dashboards"
PAGE_EXAMPLES = "examples"
PAGE_API_TOKENS = "api_tokens"  # every role: each user's own tokens (admins see all)
PAGE_ADMIN_USERS = "admin_users"
PAGE_ADMIN_SOURCES = "admin_sources"
PAGE_ADMIN_ACCESS = "admin_access"
PAGE_ADMIN_AUDIT = "admin_audit"
PAGE_ADMIN_KNOWLEDGE = "admin_knowledge"
PAGE_ADMIN_MONITORING = "admin_monitoring"
ADMIN_PAGES: tuple[str, ...] = (
    PAGE_ADMIN_USERS,
    PAGE_ADMIN_SOURCES,
    PAGE_ADMIN_ACCESS,
    PAGE_ADMIN_AUDIT,
    PAGE_ADMIN_KNOWLEDGE,
    PAGE_ADMIN_MONITORING,
)

PAGES_BY_ROLE: Mapping[str, tuple[str, ...]] = {
    ANALYST: (PAGE_CHAT, PAGE_EXAMPLES, PAGE_API_TOKENS),
    MANAGER: (PAGE_CHAT, PAGE_DASHBOARDS, PAGE_API_TOKENS),
    ADMIN: (PAGE_CHAT, PAGE_DASHBOARDS, PAGE_EXAMPLES, PAGE_API_TOKENS, *ADMIN_PAGES),
}


def is_role(role: str) -> bool:
    """True when `role` is one of `ROLES` (exact, lower-case)."""
    return role in PAGES_BY_ROLE


def pages_for_role(role: str) -> tuple[str, ...]:
    """The pages `role` may open, in navigation order; none for an unknown role."""
    return PAGES_BY_ROLE.get(role, ())


def can_open(role: str, page: str) -> bool:
    """True when `role` may open `page`."""
    return page in pages_for_role(role)
