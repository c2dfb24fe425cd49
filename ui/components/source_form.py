"""The add/edit form of a data source, how a connection test's findings are shown, and a
re-index with its progress bar.

The kind is picked outside the form: a form's widgets do not rerun the page, and the
fields (and the default port) follow the kind. Every widget key starts with the form's
`key`, so the add form and each source's edit form keep their own values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from backend.errors import KeskinubeError
from backend.i18n import Message, Translator
from backend.sources import KINDS
from backend.sources.check import SourceCheck
from backend.sources.form import SourceForm
from ui.components.markdown import md_error, md_message, md_t
from wiring.source_admin import CHOOSABLE_ROLES, SourceAdmin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormInput:
    """What one submit of the form holds (the password as typed: blank is none/keep)."""

    form: SourceForm
    password: str
    roles: tuple[str, ...]
    save_anyway: bool
    clear_password: bool


def kind_label(tr: Translator, kind: str) -> str:
    return tr(f"datasources.kind.{kind}")


def source_form(
    tr: Translator, key: str, initial: SourceForm, *, editing: bool = False
) -> FormInput | None:
    """Draw the form filled with `initial`; the values when submitted, else None."""
    kind = st.selectbox(
        tr("datasources.field.kind"),
        KINDS,
        index=KINDS.index(initial.kind),
        format_func=lambda k: kind_label(tr, k),
        key=f"{key}_kind",
    )
    sqlite = kind == "sqlite"
    with st.form(f"{key}_form"):
        name = st.text_input(
            tr("datasources.field.name"),
            initial.name,
            key=f"{key}_name",
            disabled=editing,
            help=tr("datasources.field.name.help"),
        )
        host, port, username, password, schema = "", None, "", "", ""
        if not sqlite:
            left, right = st.columns([3, 1])
            host = left.text_input(tr("datasources.field.host"), initial.host, key=f"{key}_host")
            # Keyed by kind: switching the kind shows that kind's default port.
            shown = initial.port if kind == initial.kind else None
            port = right.number_input(
                tr("datasources.field.port"),
                min_value=1,
                max_value=65535,
                value=SourceForm(kind=kind, port=shown).default_port(),
                key=f"{key}_port_{kind}",
            )
        database_label = "datasources.field.file" if sqlite else "datasources.field.database"
        database = st.text_input(tr(database_label), initial.database, key=f"{key}_database")
        if not sqlite:
            left, right = st.columns(2)
            username = left.text_input(
                tr("datasources.field.username"), initial.username, key=f"{key}_username"
            )
            help_key = "datasources.field.password.keep" if editing else None
            password = right.text_input(
                tr("datasources.field.password"),
                type="password",
                key=f"{key}_password",
                help=tr(help_key) if help_key else None,
            )
        if kind == "postgresql":
            schema = st.text_input(
                tr("datasources.field.schema"),
                initial.schema,
                key=f"{key}_schema",
                help=tr("datasources.field.schema.help"),
            )
        description = st.text_area(
            tr("datasources.field.description"), initial.description, key=f"{key}_description"
        )
        roles: list[str] = []
        if not editing:
            roles = st.multiselect(
                tr("datasources.field.roles"),
                CHOOSABLE_ROLES,
                format_func=lambda r: tr(f"auth.role.{r}"),
                key=f"{key}_roles",
                help=tr("datasources.field.roles.help"),
                placeholder=tr("datasources.field.roles.none"),
            )
        clear = (
            editing
            and not sqlite
            and st.checkbox(tr("datasources.field.clear_password"), key=f"{key}_clear")
        )
        anyway = st.checkbox(tr("datasources.field.save_anyway"), key=f"{key}_anyway")
        submit = "datasources.edit.submit" if editing else "datasources.add.submit"
        if not st.form_submit_button(tr(submit), type="primary"):
            return None
    values = SourceForm(
        name=initial.name if editing else name,
        kind=kind,
        host=host,
        port=int(port) if port is not None else None,
        database=database,
        username=username,
        schema=schema,
        description=description,
    )
    return FormInput(values, password, tuple(roles), anyway, bool(clear))


def show_check(tr: Translator, check: SourceCheck) -> None:
    """A test's findings: why it cannot connect, what the account may write (with the
    statements that make it read-only), or that it can only read."""
    if check.error is not None:
        st.error(md_t(tr, "datasources.check.failed", reason=check.error))
    elif check.write_privileges:
        privileges = "; ".join(check.write_privileges)
        st.warning(md_t(tr, "datasources.check.writes", privileges=privileges))
        if check.advice:
            st.caption(tr("datasources.check.advice"))
            st.code(check.advice, language="sql")
    else:
        st.success(tr.count("datasources.check.read_only", check.tables))


def reindex(tr: Translator, manager: SourceAdmin, name: str) -> None:
    """Index source `name`'s schema with a progress bar; a failure is one clear message."""
    bar = st.progress(0.0, text=md_t(tr, "datasources.reindex.start", name=name))

    def progress(done: int, total: int) -> None:
        text = tr("datasources.reindex.progress", done=done, total=total)
        bar.progress(done / max(total, 1), text=text)

    try:
        stats = manager.reindex(name, progress=progress)
    except KeskinubeError as exc:
        st.error(md_error(exc, tr.language))
        return
    except Exception:  # a driver's or Qdrant's error: the log has it, not the page
        log.exception("re-index of data source %s failed", name)
        st.error(md_t(tr, "datasources.reindex.failed", name=name))
        return
    summary = Message.of("admin.access.index.summary", **stats.counts())
    st.success(md_t(tr, "datasources.reindex.done", name=name, summary=summary))
    if warning := md_message(stats.warning, tr.language):
        st.warning(warning)
