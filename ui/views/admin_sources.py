"""Admin: data sources — the business databases Keskinube answers on: list them, add one
(tested first), and per source choose the roles that may use it, test, edit, remove or
re-index it. `main` is DATABASE_URL's: only who may use it is set here.

Every change goes through `wiring.source_admin.SourceAdmin` (which tests and audits);
names, descriptions and hosts are the admins' words, so they are escaped wherever
Streamlit reads markdown. Passwords are never shown, only whether one is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from auth import roles
from backend.errors import KeskinubeError
from backend.sources import MAIN, DataSource
from backend.sources.form import SourceForm
from ui.components.markdown import md_error, md_t
from ui.components.source_form import FormInput, kind_label, reindex, show_check, source_form
from ui.context import get_auth, get_registry, translator
from ui.navigation import require_page
from wiring.source_admin import CHOOSABLE_ROLES, Saved, SourceAdmin

log = logging.getLogger(__name__)
FLASH_KEY = "admin_sources_flash"
ROUND_KEY = "admin_sources_round"

admin = require_page(roles.PAGE_ADMIN_SOURCES)
tr = translator()
registry = get_registry()
manager = SourceAdmin(registry, get_auth(), by=admin.username)


def act(change: Callable[[], object], message: str) -> None:
    """Run one change; on success keep `message` for the next run and rerun."""
    try:
        change()
    except KeskinubeError as exc:
        log.info("admin %s: refused: %s", admin.username, exc)
        st.error(md_error(exc, tr.language))
        return
    st.session_state[FLASH_KEY] = (message, None)
    st.rerun()


def save(submitted: FormInput, adding: bool) -> None:
    """Test and save the form's source; when it cannot connect, say why and keep it."""
    try:
        if adding:
            saved: Saved = manager.add(
                submitted.form,
                submitted.password,
                roles=submitted.roles,
                save_anyway=submitted.save_anyway,
            )
        else:
            saved = manager.update(
                submitted.form,
                submitted.password,
                clear_password=submitted.clear_password,
                save_anyway=submitted.save_anyway,
            )
    except KeskinubeError as exc:
        st.error(md_error(exc, tr.language))
        return
    if saved.source is None:
        show_check(tr, saved.check)
        st.info(tr("datasources.not_saved"))
        return
    done = "datasources.added" if adding else "datasources.saved"
    st.session_state[FLASH_KEY] = (md_t(tr, done, name=saved.source.name), saved.check)
    st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1  # fresh forms
    st.rerun()


def allow(name: str, role: str, allowed: bool) -> None:
    """Let `role` use source `name`, or not (a checkbox changed)."""
    key = "datasources.roles.allowed" if allowed else "datasources.roles.denied"
    message = md_t(tr, key, role=tr(f"auth.role.{role}"), name=name)
    act(lambda: manager.set_allowed(role, name, allowed), message)


def row(source: DataSource) -> dict[str, object]:
    where = source.where()
    return {
        tr("datasources.column.name"): source.name,
        tr("datasources.column.kind"): kind_label(tr, source.kind),
        tr("datasources.column.where"): where,
        tr("datasources.column.description"): (
            tr("datasources.main.defined") if source.from_settings else source.description
        ),
        tr("datasources.column.roles"): ", ".join(
            tr(f"auth.role.{role}") for role in manager.roles_of(source.name)
        ),
        tr("datasources.column.password"): tr("common.yes" if source.has_password else "common.no"),
    }


st.title(tr("datasources.nav"))
st.caption(tr("datasources.intro"))
if flash := st.session_state.get(FLASH_KEY):
    st.success(flash[0])
    if flash[1] is not None:
        show_check(tr, flash[1])
    del st.session_state[FLASH_KEY]  # after drawing it: an interrupted run shows it again

sources = registry.sources()
st.dataframe([row(source) for source in sources], hide_index=True)
round_ = st.session_state.get(ROUND_KEY, 0)

st.subheader(tr("datasources.add.title"))
if added := source_form(tr, f"add_{round_}", SourceForm()):
    save(added, adding=True)

st.subheader(tr("datasources.manage.title"))
name = st.selectbox(tr("datasources.field.source"), [s.name for s in sources], key="src_pick")
source = next((s for s in sources if s.name == name), None)
if source is not None:
    st.markdown(md_t(tr, "datasources.roles.title", name=source.name))
    st.caption(tr("datasources.roles.help"))
    allowed = manager.roles_of(source.name)
    for role in CHOOSABLE_ROLES:
        may = role in allowed
        # The stored value is part of the key: a change made elsewhere shows as it is,
        # and is never taken for this admin's click.
        key = f"use_{source.name}_{role}_{int(may)}"
        if st.checkbox(tr(f"auth.role.{role}"), may, key=key) != may:
            allow(source.name, role, not may)
    if source.name == MAIN:
        st.info(tr("datasources.main.note"))
    else:
        if st.button(tr("datasources.test.submit"), key=f"test_{source.name}"):
            try:
                show_check(tr, manager.test(source.name))
            except KeskinubeError as exc:
                st.error(md_error(exc, tr.language))
        if st.button(tr("datasources.reindex.submit"), key=f"reindex_{source.name}"):
            reindex(tr, manager, source.name)
        with st.expander(md_t(tr, "datasources.edit.title", name=source.name)):
            edited = source_form(
                tr, f"edit_{source.name}_{round_}", SourceForm.of(source), editing=True
            )
            if edited:
                save(edited, adding=False)
        with st.expander(md_t(tr, "datasources.remove.title", name=source.name)):
            st.text(tr("datasources.remove.intro"))
            sure = st.checkbox(
                md_t(tr, "datasources.remove.confirm", name=source.name), key=f"sure_{source.name}"
            )
            if st.button(
                tr("datasources.remove.submit"),
                type="primary",
                disabled=not sure,
                key=f"remove_{source.name}",
            ):
                act(lambda: manager.remove(name), md_t(tr, "datasources.removed", name=name))
