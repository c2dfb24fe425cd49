"""The monitoring page in AppTest: its charts, tables and CSV from the run records of the
test's app database, narrowed to one prompt version, in Spanish, and empty.

The page runs on its own as a logged-in admin (see `tests.support.apptest`); the runs
are written straight into the app database, a few days before today (UTC).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from auth.services import AuthServices
from backend.config import get_settings
from backend.monitoring.runs import AnswerRun, Producer
from backend.monitoring.schema_checks import SchemaCheckStore
from backend.monitoring.store import RunStore
from backend.schema_drift import SchemaChange
from backend.sources import database_key
from tests.support.apptest import open_page, page_services, texts

OLD = Producer("demo", "qwen <b>7b</b>", "abcdef1234567890", "aaaaaaaaaaaa", "full", "k1")
NEW = Producer("demo", "qwen <b>7b</b>", "abcdef1234567890", "bbbbbbbbbbbb", "full", "k1")
SLOW = "**Which** [customers](http://x) buy most?"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    users = {"boss": ("admin", "Chief-unit-Passw0rd"), "ana": ("analyst", "Analyst-unit-Passw0rd")}
    yield from page_services(monkeypatch, tmp_path, users)


@pytest.fixture
def stream(auth: AuthServices) -> None:
    """Three days ago the old prompt, two days ago the new one, which fails once."""
    moment = [datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)]
    store = RunStore(auth.engine, clock=lambda: moment[0])
    for seconds in (1.0, 2.0, 3.0):
        store.record_run(AnswerRun("ana", "page", f"q{seconds}", "answered", OLD, seconds=seconds,
                                   timings={"generate": seconds / 2}))  # fmt: skip
    moment[0] += timedelta(days=1)
    store.record_run(AnswerRun("ana", "api", SLOW, "answered", NEW, seconds=30.0,
                               timings={"generate": 20.0}, similarity=0.9))  # fmt: skip
    store.record_run(AnswerRun("ana", "mcp", "broken?", "db_error", NEW, seconds=1.0,
                               similarity=0.2))  # fmt: skip


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MemoryMediaFileStorage]:
    """The media storage of each AppTest run, kept to read the downloads back."""
    kept: list[MemoryMediaFileStorage] = []

    class Kept(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            kept.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Kept)
    return kept


def charts(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    return [str(chart["layout"]["title"]["text"]) for chart in charts(at)]  # type: ignore[index]


def downloaded(at: AppTest, media: list[MemoryMediaFileStorage]) -> list[dict[str, str]]:
    [button] = at.get("download_button")
    filename = button.proto.url.rsplit("/", 1)[1]
    content = media[-1].get_file(filename).content.decode("utf-8")
    return list(csv.DictReader(io.StringIO(content)))


def test_the_page_draws_every_chart_and_table_and_the_csv(
    auth: AuthServices, stream: None, media: list[MemoryMediaFileStorage]
) -> None:
    at = open_page("admin_monitoring")
    assert not at.exception
    assert at.title[0].value == "Monitoring"
    assert titles(at) == [
        "Questions per day",
        "How questions ended",
        "Thumbs up and down",
        "Seconds waited per day",
        "Seconds by stage",
        "Questions far from the knowledge",
    ]
    questions = charts(at)[0]["data"]
    names = {trace["name"] for trace in questions}  # type: ignore[attr-defined]
    # A model's name is data: escaped, so Plotly never draws it as markup.
    assert names == {
        "qwen &lt;b&gt;7b&lt;/b&gt; abcdef123456 · aaaaaaaaaaaa",
        "qwen &lt;b&gt;7b&lt;/b&gt; abcdef123456 · bbbbbbbbbbbb",
    }
    farthest, slowest, failing, versions = (frame.value for frame in at.dataframe)
    assert list(farthest["Question"]) == ["broken?", SLOW]  # least similar first
    assert list(farthest["Similarity"]) == [pytest.approx(0.2), pytest.approx(0.9)]
    far = charts(at)[5]["data"][0]  # type: ignore[index]
    assert far["y"] == [0.5]  # two measured on the second day, one under 0.5
    assert slowest["Question"].iloc[0] == SLOW  # as data in a table, never as markdown
    assert list(slowest["Source"])[:2] == ["HTTP API", "Web page"]
    assert list(slowest["Outcome"]) == ["answered"] * 3 + ["database error", "answered"]
    assert list(failing["Question"]) == ["broken?"]
    assert list(versions["Prompt hash"]) == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    assert SLOW not in " ".join(texts(at.markdown))
    table = downloaded(at, media)
    assert {row["figure"] for row in table} >= {"questions", "outcomes", "slowest", "failing"}
    assert [row["question"] for row in table if row["figure"] == "failing"] == ["broken?"]


def test_picking_a_prompt_version_narrows_every_figure(
    auth: AuthServices, stream: None, media: list[MemoryMediaFileStorage]
) -> None:
    at = open_page("admin_monitoring")
    at.selectbox[1].select("aaaaaaaaaaaa").run()
    assert not at.exception
    farthest, slowest, failing, versions = (frame.value for frame in at.dataframe)
    assert farthest.empty
    assert set(slowest["Question"]) == {"q1.0", "q2.0", "q3.0"}
    assert failing.empty
    assert list(versions["Prompt hash"]) == ["aaaaaaaaaaaa"]
    outcomes = {row["outcome"] for row in downloaded(at, media) if row["figure"] == "outcomes"}
    assert outcomes == {"answered"}


def test_the_page_reads_in_spanish(auth: AuthServices, stream: None) -> None:
    at = open_page("admin_monitoring", language="es")
    assert not at.exception
    assert at.title[0].value == "Supervisión"
    assert titles(at)[0] == "Preguntas por día"
    layout = charts(at)[0]["layout"]
    assert layout["separators"] == ",."  # type: ignore[index]
    assert layout["xaxis"]["ticktext"]  # type: ignore[index]  # Spanish day ticks
    assert "Resultado" in at.dataframe[1].value.columns
    assert "Similitud" in at.dataframe[0].value.columns


def test_no_runs_say_so_and_draw_nothing(auth: AuthServices) -> None:
    at = open_page("admin_monitoring")
    assert not at.exception
    assert texts(at.info) == [
        "No questions or votes in these days.",
        "The business database has not been compared with the index yet.",
    ]
    assert not at.get("plotly_chart") and not at.get("download_button")


def test_a_schema_change_is_shown_and_one_click_reindexes(auth: AuthServices) -> None:
    """A check that found the database changed: its changes in a table and a re-index
    button, which indexes the schema again (audited) and leaves it in sync."""
    checks = SchemaCheckStore(auth.engine)
    database = database_key(get_settings().business_database_url)
    changes = [
        SchemaChange("column", "added", "orders", "discount", after="DECIMAL(5,2)"),
        SchemaChange("table", "removed", "refunds"),
    ]
    checks.record(database, live="live1", indexed="index1", changes=changes)
    at = open_page("admin_monitoring")
    assert not at.exception
    [warning] = texts(at.warning)
    assert "2 changes" in warning
    [changed] = [frame.value for frame in at.dataframe if "Change" in frame.value.columns]
    assert list(changed["Change"]) == ["column added", "table removed"]
    assert list(changed["Now"]) == ["DECIMAL(5,2)", ""]
    [reindex] = [button for button in at.button if button.label == "Re-index now"]
    at = reindex.click().run()
    assert not at.exception
    assert any(text.startswith("Re-indexed:") for text in texts(at.success))
    latest = checks.latest(database)
    assert latest is not None and latest.in_sync and latest.reindexed_by == "boss"
    details = [entry.detail_in("en") or "" for entry in auth.audit.query(limit=5).entries]
    assert any("added" in detail and "unchanged" in detail for detail in details)


def test_the_schema_section_reads_in_spanish(auth: AuthServices) -> None:
    database = database_key(get_settings().business_database_url)
    SchemaCheckStore(auth.engine).record(database, live="a", indexed="a", changes=[])
    at = open_page("admin_monitoring", language="es")
    assert not at.exception
    assert any("coincide con el índice" in text for text in texts(at.success))
    assert "Comprobar ahora" in [button.label for button in at.button]
