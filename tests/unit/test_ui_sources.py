"""The data source in the app (AppTest of ui/app.py): the sidebar offers a choice only to a
user who may use more than one source; the chat, its conversations and own SQL follow the
pick; a source taken away is gone at the next run.

The app and its fixtures are those of `test_ui_login` (one user per role).
"""
# Fixtures come from test_ui_login; test arguments that name them are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import sqlite3
from pathlib import Path

from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from backend.config import get_settings
from backend.sources import MAIN, DataSource
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from tests.unit.test_ui_login import (  # noqa: F401 - fixtures
    PASSWORDS,
    auth,
    log_in,
    start,
    ui_env,
)
from ui.navigation import PAGES_DIR

PICKER = "sidebar_source"
STAFF_SQL = "SELECT name FROM staff ORDER BY name"


def add_hr_source(auth: AuthServices, folder: Path) -> None:
    path = folder / "hr.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO staff VALUES (?, ?)", [(1, "Ann"), (2, "Bo")])
    store = SourceStore(auth.engine, SecretBox(get_settings().sources_secret))
    store.add(DataSource("hr", "sqlite", database=str(path), description="People"), None)


def pickers(at: AppTest) -> list[str]:
    return [box.key for box in at.sidebar.selectbox if box.key == PICKER]


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    return next(b for b in at.button if b.label == "Run SQL").click().run()


def conversation_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.sidebar.button if (b.key or "").startswith("chat_open_")]


def test_the_picker_appears_with_a_second_source_and_the_chat_follows_it(
    auth: AuthServices, tmp_path: Path
) -> None:
    at = log_in(start(), "ana", PASSWORDS["ana"])
    assert not at.exception
    assert pickers(at) == []  # one source: nothing to pick
    add_hr_source(auth, tmp_path)
    at.run()
    assert pickers(at) == []  # not allowed yet: still nothing to pick
    auth.policies.set_source_allowed("analyst", "hr", True)
    at.run()
    [picker] = [box for box in at.sidebar.selectbox if box.key == PICKER]
    assert picker.options == ["main", "hr · People"]
    assert picker.value == MAIN

    picker.set_value("hr").run()
    assert not at.exception
    at = run_own_sql(at, STAFF_SQL)
    assert not at.exception
    assert list(at.dataframe[0].value["name"]) == ["Ann", "Bo"]
    assert len(conversation_buttons(at)) == 1

    [picker] = [box for box in at.sidebar.selectbox if box.key == PICKER]
    picker.set_value(MAIN).run()
    assert conversation_buttons(at) == []  # hr's conversation stays with hr
    at = run_own_sql(at, STAFF_SQL)  # main has no such table
    assert not at.dataframe


def test_a_source_taken_away_is_gone_at_the_next_run(auth: AuthServices, tmp_path: Path) -> None:
    add_hr_source(auth, tmp_path)
    auth.policies.set_source_allowed("analyst", "hr", True)
    at = log_in(start(), "ana", PASSWORDS["ana"])
    [picker] = [box for box in at.sidebar.selectbox if box.key == PICKER]
    picker.set_value("hr").run()
    auth.policies.set_source_allowed("analyst", "hr", False)
    at.run()
    assert not at.exception
    assert pickers(at) == []
    at = run_own_sql(at, STAFF_SQL)  # back on main, which has no staff table
    assert not at.dataframe


def test_a_user_who_may_use_no_source_reads_why(auth: AuthServices) -> None:
    auth.policies.set_source_allowed("analyst", MAIN, False)
    at = log_in(start(), "ana", PASSWORDS["ana"])
    assert not at.exception
    assert "There is no data source 'main' you can use." in [e.value for e in at.error]


def test_a_pinned_tile_runs_on_its_source_and_is_withheld_once_it_is_taken_away(
    auth: AuthServices, tmp_path: Path
) -> None:
    add_hr_source(auth, tmp_path)
    auth.policies.set_source_allowed("manager", "hr", True)
    at = log_in(start(), "mia", PASSWORDS["mia"])
    [picker] = [box for box in at.sidebar.selectbox if box.key == PICKER]
    picker.set_value("hr").run()
    at = run_own_sql(at, "SELECT COUNT(*) AS people FROM staff")
    at.button(key="turn_1_pin").click().run()
    assert not at.exception
    [picker] = [box for box in at.sidebar.selectbox if box.key == PICKER]
    picker.set_value(MAIN).run()  # the board shows hr's tile whatever source is picked

    at.switch_page(str(PAGES_DIR / "dashboards.py")).run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2"]
    auth.policies.set_source_allowed("manager", "hr", False)
    at.run()
    assert not at.exception
    assert not at.metric
    assert "This chart comes from a data source you may not use." in [w.value for w in at.warning]
