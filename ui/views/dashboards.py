"""Dashboards: the charts a user pinned from the chat, in a two-column grid.

Each tile re-runs its saved SQL on its data source through the guard as the viewer (their
role and access rules on that source now), cached for five minutes per source, role and
policy; "Refresh" fetches fresh data. A tile of a source the viewer may no longer use
shows nothing of it.
Tiles can be moved up or down and unpinned. Dashboards belong to the user who made them.
"""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from auth import roles
from backend.charts import NO_HINTS, chart_title, choose_chart
from backend.charts.columns import profile
from backend.charts.formatting import format_count
from backend.charts.options import fits
from backend.config import get_settings
from backend.dashboards import DashboardStore, Tile
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.result_view import result_hints
from ui.components.charts import TILE_TTL_S, render_chart, render_table, run_tile
from ui.components.conversations import answers, app_stores
from ui.components.formats import format_when
from ui.components.markdown import escape_markdown, md_error, md_message
from ui.context import get_auth, get_knowledge, get_registry, translator, usable_sources
from ui.navigation import require_page
from wiring.services import Services

user = require_page(roles.PAGE_DASHBOARDS)
tr = translator()
lang = tr.language
try:
    settings = get_settings()
    store: DashboardStore = app_stores().dashboards
    boards = store.list_for(user.username)
    usable = {source.name for source in usable_sources(user)}
except KeskinubeError as exc:
    st.error(md_error(exc, lang))
    st.stop()

st.title(tr("dashboards.title"))
if not boards:
    st.info(tr("dashboards.none"))
    st.stop()


def act(change: str, tile_id: int) -> None:
    """Button callback: move a tile up/down or unpin it."""
    try:
        if change == "unpin":
            store.unpin(user.username, tile_id)
        else:
            store.move(user.username, tile_id, -1 if change == "up" else 1)
    except KeskinubeError as exc:
        st.warning(md_error(exc, lang))


def on_source(source: str) -> tuple[Actor, Services] | None:
    """The viewer as the guard sees them on `source`, and its services; None when they
    may not use it (any more)."""
    if source not in usable:
        return None
    actor = get_auth().policies.actor_for(user, source=source, default_language=lang)
    return actor, get_registry().services(source)


def draw(tile: Tile, first: bool, last: bool) -> float:
    """One tile: title, chart or table, and its buttons; returns when its data was fetched."""
    try:
        viewer = on_source(tile.source)
    except KeskinubeError as exc:
        viewer, unavailable = None, md_error(exc, lang)
    else:
        unavailable = tr("dashboards.tile.source_unavailable")
    if viewer is None:
        st.markdown(f"**{escape_markdown(tile.title)}**")
        st.warning(unavailable, icon=":material/lock:")
        tile_buttons(tile, first, last)
        return time.time()
    actor, services = viewer
    result = run_tile(
        tile.sql,
        title=tile.title,
        actor=actor,
        answers=answers(services),
        nonce=st.session_state.get(f"dash_nonce_{board.id}", 0.0),
    )
    hints = NO_HINTS
    if result.frame is not None:  # money columns and labels, as the chat's answer had them
        hints = result_hints(
            tile.sql,
            [str(c) for c in result.frame.columns],
            engine=services.engine,
            knowledge=get_knowledge(services),
            language=lang,
            include_drafts=settings.knowledge_use_drafts,
        )
    # A tile named after its chart is named in the reader's language; a chosen name stays.
    named = tile.title == tile.chart.title
    title = chart_title(tile.chart, lang, hints) if named else tile.title
    st.markdown(f"**{escape_markdown(title)}**")
    if result.error is not None or result.frame is None:
        error = md_message(result.error, lang) or tr("dashboards.tile.no_result")
        st.warning(error, icon=":material/lightbulb:")
    else:
        frame = result.frame
        spec = tile.chart if fits(tile.chart, profile(frame)) else choose_chart(frame)
        key, currency = f"tile_{tile.id}", settings.currency_symbol
        shown = render_chart(
            frame, spec, key=key, currency=currency, language=lang, title=False, hints=hints
        )
        if not shown:
            render_table(frame, key=f"{key}_table", currency=currency, language=lang, hints=hints)
        if result.truncated:
            st.caption(tr("dashboards.tile.first_rows", rows=format_count(len(frame), lang)))
    tile_buttons(tile, first, last)
    return result.refreshed_at


def tile_buttons(tile: Tile, first: bool, last: bool) -> None:
    with st.container(horizontal=True):
        for change, icon, label, disabled in (
            ("up", ":material/arrow_upward:", tr("dashboards.tile.up"), first),
            ("down", ":material/arrow_downward:", tr("dashboards.tile.down"), last),
            ("unpin", ":material/push_pin:", tr("dashboards.tile.unpin"), False),
        ):
            st.button(
                label,
                icon=icon,
                key=f"tile_{tile.id}_{change}",
                disabled=disabled,
                type="tertiary",
                on_click=act,
                args=(change, tile.id),
            )


names = {b.id: b.name for b in boards}
choose, refresh, _ = st.columns([3, 1, 2], vertical_alignment="bottom")
board_id = choose.selectbox(
    tr("dashboards.choose"), list(names), format_func=names.__getitem__, key="dash_board"
)
board = next(b for b in boards if b.id == board_id)
if refresh.button(tr("common.refresh"), icon=":material/refresh:"):
    st.session_state[f"dash_nonce_{board.id}"] = time.time()
as_of = st.empty()

tiles = store.tiles(user.username, board.id)
if not tiles:
    st.info(tr("dashboards.empty"))
fetched = []
with st.container(key="dashboard_grid"):
    for start in range(0, len(tiles), 2):
        row = range(start, min(start + 2, len(tiles)))
        for column, index in zip(st.columns(2), row, strict=False):
            with column, st.container(border=True):
                fetched.append(draw(tiles[index], index == 0, index == len(tiles) - 1))
if fetched:
    oldest = dt.datetime.fromtimestamp(min(fetched), dt.UTC)
    when = format_when(oldest, lang, seconds=True)
    as_of.caption(tr("dashboards.refreshed", when=when, minutes=TILE_TTL_S // 60))

with st.expander(tr("dashboards.delete"), icon=":material/delete:"):
    st.caption(tr.count("dashboards.delete.help", len(tiles), name=escape_markdown(board.name)))
    if st.button(tr("dashboards.delete.button"), key=f"dash_delete_{board.id}"):
        store.delete(user.username, board.id)
        st.rerun()
