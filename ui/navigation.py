"""Which pages a user gets: the page ids of `auth.roles` mapped to page files.

The navigation is built from `pages_for_role(role)`, so a page a role may not open is not
registered at all: a direct visit to its URL is answered "page not found" and the
default page is shown instead. Each page also starts with `require_page(page_id)`, as a
second lock that does not depend on how it was reached.

The page files live in `ui/views/`, not `ui/pages/`: Streamlit takes a `pages/` folder
beside the entry script for its old multipage convention and, until the process's first
`st.navigation` call, runs those files on their own, without `app.py` and its login gate.

Titles and section names come from the catalogue on every run, so the navigation follows
the reader's language at once; URLs are the page ids and never change with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from auth import roles
from auth.users import User
from ui.components.markdown import md_t
from ui.context import current_user, translator

PAGES_DIR = Path(__file__).resolve().parent / "views"
WORKSPACE, ADMIN = "app.nav.section.workspace", "app.nav.section.admin"


@dataclass(frozen=True)
class PageSpec:
    """Where a page id's script lives and how the navigation shows it (title: a key)."""

    file: str
    title_key: str
    icon: str


PAGE_SPECS: dict[str, PageSpec] = {
    roles.PAGE_CHAT: PageSpec("chat.py", "app.nav.chat", ":material/chat:"),
    roles.PAGE_DASHBOARDS: PageSpec("dashboards.py", "app.nav.dashboards", ":material/dashboard:"),
    roles.PAGE_EXAMPLES: PageSpec("examples.py", "app.nav.examples", ":material/fact_check:"),
    roles.PAGE_API_TOKENS: PageSpec("api_tokens.py", "app.nav.api_tokens", ":material/key:"),
    roles.PAGE_ADMIN_USERS: PageSpec("admin_users.py", "app.nav.admin_users", ":material/group:"),
    roles.PAGE_ADMIN_SOURCES: PageSpec(
        "admin_sources.py", "datasources.nav", ":material/database:"
    ),
    roles.PAGE_ADMIN_ACCESS: PageSpec(
        "admin_access.py", "app.nav.admin_access", ":material/shield:"
    ),
    roles.PAGE_ADMIN_AUDIT: PageSpec("admin_audit.py", "app.nav.admin_audit", ":material/history:"),
    roles.PAGE_ADMIN_KNOWLEDGE: PageSpec("knowledge.py", "knowledge.nav", ":material/menu_book:"),
    roles.PAGE_ADMIN_MONITORING: PageSpec(
        "admin_monitoring.py", "monitoring.nav", ":material/monitoring:"
    ),
}


def page_sections(role: str) -> dict[str, list[StreamlitPage]]:
    """The pages `role` may open, grouped into the Workspace and Admin sections."""
    tr = translator()
    sections: dict[str, list[StreamlitPage]] = {}
    for page_id in roles.pages_for_role(role):
        spec = PAGE_SPECS[page_id]
        section = tr(ADMIN if page_id in roles.ADMIN_PAGES else WORKSPACE)
        page = st.Page(
            PAGES_DIR / spec.file, title=tr(spec.title_key), icon=spec.icon, url_path=page_id
        )
        sections.setdefault(section, []).append(page)
    return sections


def navigation_for(user: User) -> StreamlitPage:
    """Register `user`'s pages and return the one to run (the first page by default)."""
    sections = page_sections(user.role)
    if not sections:  # a role without pages: stored data outside `roles.ROLES`
        st.error(md_t(translator(), "app.nav.no_pages", role=user.role))
        st.stop()
    return st.navigation(sections, position="sidebar", expanded=True)


def login_navigation(render: Callable[[], None]) -> StreamlitPage:
    """The only page of a logged-out visitor; any other URL is answered "not found"."""
    title = translator()("app.login.page_title")
    page = st.Page(render, title=title, icon=":material/login:", url_path="login")
    return st.navigation([page], position="hidden")


def require_page(page_id: str) -> User:
    """The logged-in user when their role may open `page_id`; otherwise stop the page."""
    user = current_user()
    tr = translator()
    if user is None or user.disabled:
        st.warning(tr("app.guard.log_in"))
        st.stop()
    if not roles.can_open(user.role, page_id):
        st.error(tr("app.guard.role"))
        st.stop()
    return user
