"""Several data sources behind one API and one MCP endpoint: each caller lists and asks
only the sources their role may use; a source they may not use is answered exactly as
one that does not exist; a conversation stays on its source.

A real uvicorn, the app database, the MariaDB `main` of the other API tests, two small
SQLite sources added through the app's `SourceStore`, and the scripted model. Analysts
may use only `warehouse` (not `main`); managers `warehouse` and `archive` (not `main`:
no default); admins all three.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from backend.i18n import t
from backend.sources import DataSource
from testkit.scripted_ollama import when
from tests.support.api_fixtures import ApiStack
from tests.support.mcp_host import mcp_client, run_async
from tests.support.runs import recorded_runs

pytestmark = pytest.mark.mariadb

SHIPMENTS = "SELECT COUNT(*) AS shipments FROM shipments"
LANGUAGES = [("en", "en"), ("es-ES,es;q=0.9", "es")]


def sqlite_file(path: Path, *statements: str) -> Path:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def sourced(api: ApiStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiStack]:
    folder = tmp_path_factory.mktemp("sources")
    warehouse = sqlite_file(
        folder / "warehouse.sqlite",
        "CREATE TABLE shipments (id INTEGER PRIMARY KEY, carrier TEXT, kilos REAL)",
        "INSERT INTO shipments VALUES (1, 'zz-carrier-a', 2.5), (2, 'zz-carrier-b', 1.0),"
        " (3, 'zz-carrier-a', 7.25), (4, 'zz-carrier-c', 3.0)",
    )
    archive = sqlite_file(
        folder / "archive.sqlite",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)",
        "INSERT INTO invoices VALUES (1, 9.5)",
    )
    store = api.api.sources.store
    store.add(
        DataSource(name="warehouse", kind="sqlite", database=str(warehouse), description="Parcels"),
        None,
    )
    store.add(DataSource(name="archive", kind="sqlite", database=str(archive)), None)
    policies = api.auth.policies
    policies.set_source_allowed("analyst", "main", False)
    policies.set_source_allowed("analyst", "warehouse", True)
    policies.set_source_allowed("manager", "main", False)
    policies.set_source_allowed("manager", "warehouse", True)
    policies.set_source_allowed("manager", "archive", True)
    api.ollama.add(when("how many shipments", reply=f"```sql\n{SHIPMENTS}\n```"), first=True)
    yield api


def sources_of(api: ApiStack, token: str) -> dict[str, Any]:
    with api.client(token) as client:
        reply = client.get("/v1/sources")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_an_analyst_lists_only_the_source_they_may_use(sourced: ApiStack) -> None:
    listed = sources_of(sourced, sourced.token())
    assert listed == {
        "sources": [
            {"name": "warehouse", "kind": "sqlite", "description": "Parcels", "where": None}
        ],
        "default": "warehouse",
    }


def test_an_admin_sees_every_source_and_where_it_is(sourced: ApiStack) -> None:
    listed = sources_of(sourced, sourced.token(sourced.user("admin")))
    assert [s["name"] for s in listed["sources"]] == ["main", "archive", "warehouse"]
    assert listed["default"] == "main"
    where = {s["name"]: s["where"] for s in listed["sources"]}
    assert where["warehouse"].endswith("warehouse.sqlite")
    assert "127.0.0.1" in where["main"] and "root" not in where["main"]  # no user name


def test_an_analyst_asks_their_source_by_default_and_by_name(sourced: ApiStack) -> None:
    analyst = sourced.user()
    with sourced.client(sourced.token(analyst)) as client:
        implied = client.post("/v1/ask", json={"question": "How many shipments are there?"})
        named = client.post(
            "/v1/ask", json={"question": "How many shipments went out?", "source": "warehouse"}
        )
        own = client.post("/v1/sql", json={"sql": "SELECT carrier FROM shipments WHERE id = 2"})
        found = client.get("/v1/schema/search", params={"q": "parcels carrier kilos"})
        exported = client.post("/v1/export", json={"sql": "SELECT id FROM shipments"})
    for reply in (implied, named):
        assert reply.status_code == 200, reply.text
        assert reply.json()["ok"] and reply.json()["source"] == "warehouse"
        assert reply.json()["rows"] == [[4]]  # the warehouse's shipments: main has none
    assert own.json()["rows"] == [["zz-carrier-b"]] and own.json()["source"] == "warehouse"
    assert found.json()["source"] == "warehouse"
    assert [table["name"] for table in found.json()["tables"]] == ["shipments"]
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows == [["id"], ["1"], ["2"], ["3"], ["4"]]
    entries = [e for e in sourced.auth.audit.iter_entries() if e.username == analyst]
    assert [(e.source, e.status) for e in entries] == [
        ("api", "ok"),
        ("api", "ok"),
        ("api", "ok"),
        ("export", "ok"),
    ]
    runs = [r for r in recorded_runs(sourced.auth.engine) if r["username"] == analyst]
    # The run records name the source's own index key, never main's.
    assert [r["database"] for r in runs] == ["src_warehouse", "src_warehouse"]


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_a_source_not_theirs_is_answered_as_one_that_does_not_exist(
    sourced: ApiStack, header: str, language: str
) -> None:
    analyst = sourced.user()
    asked = {"question": "How many shipments are there?"}
    with sourced.client(sourced.token(analyst), language=header) as client:
        forbidden = client.post("/v1/ask", json={**asked, "source": "main"})
        made_up = client.post("/v1/ask", json={**asked, "source": "nowhere"})
        archive = client.post("/v1/ask", json={**asked, "source": "archive"})
        own_sql = client.post("/v1/sql", json={"sql": "SELECT 1", "source": "main"})
        search = client.get("/v1/schema/search", params={"q": "orders", "source": "main"})
        export = client.post("/v1/export", json={"sql": "SELECT 1", "source": "main"})
    expected = {"code": "unknown_source", "message": t("api.error.unknown_source", language)}
    for reply in (forbidden, made_up, archive, own_sql, search, export):
        assert reply.status_code == 404 and reply.json() == {"error": expected}
    assert forbidden.content == made_up.content == archive.content  # no oracle
    assert [e for e in sourced.auth.audit.iter_entries() if e.username == analyst] == []


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_a_conversation_continues_only_on_its_own_source(
    sourced: ApiStack, header: str, language: str
) -> None:
    admin = sourced.token(sourced.user("admin"))
    question = {"question": "How many shipments are there?"}
    with sourced.client(admin, language=header) as client:
        started = client.post("/v1/ask", json={**question, "source": "warehouse"}).json()
        conversation = started["conversation_id"]
        elsewhere = client.post(
            "/v1/ask", json={**question, "conversation_id": conversation, "source": "main"}
        )
        continued = client.post("/v1/ask", json={**question, "conversation_id": conversation})
        listed = client.get("/v1/conversations").json()["conversations"]
        on_main = client.get("/v1/conversations", params={"source": "main"}).json()
        read = client.get(f"/v1/conversations/{conversation}").json()
    assert elsewhere.status_code == 409
    message = t("api.error.conversation_source", language, source="warehouse")
    assert elsewhere.json() == {"error": {"code": "conversation_source", "message": message}}
    assert continued.status_code == 200 and continued.json()["source"] == "warehouse"
    assert continued.json()["conversation_id"] == conversation
    assert [(c["id"], c["source"]) for c in listed] == [(conversation, "warehouse")]
    assert on_main == {"conversations": []}
    assert read["source"] == "warehouse" and len(read["turns"]) == 2


@pytest.mark.parametrize(("header", "language"), LANGUAGES)
def test_several_sources_and_no_main_means_naming_one(
    sourced: ApiStack, header: str, language: str
) -> None:
    with sourced.client(sourced.token(sourced.user("manager")), language=header) as client:
        listed = client.get("/v1/sources").json()
        unnamed = client.post("/v1/ask", json={"question": "How many shipments are there?"})
        named = client.post(
            "/v1/ask", json={"question": "How many shipments are there?", "source": "warehouse"}
        )
    assert [s["name"] for s in listed["sources"]] == ["archive", "warehouse"]
    assert listed["default"] is None
    expected = {"code": "source_required", "message": t("api.error.source_required", language)}
    assert unnamed.status_code == 400 and unnamed.json() == {"error": expected}
    assert "archive" not in unnamed.text  # it names no source
    assert named.json()["rows"] == [[4]]


def call(api: ApiStack, token: str, tool: str, arguments: dict[str, Any], **options: Any) -> Any:
    async def go() -> Any:
        async with mcp_client(f"{api.url}/mcp", token, **options) as client:
            return await client.call_tool(tool, arguments)

    return run_async(go)


def test_mcp_lists_and_asks_the_callers_sources(sourced: ApiStack) -> None:
    token = sourced.token()
    listed = call(sourced, token, "list_sources", {})
    asked = call(sourced, token, "ask", {"question": "How many shipments?", "source": "warehouse"})
    implied = call(sourced, token, "ask", {"question": "How many shipments?"})
    searched = call(sourced, token, "search_schema", {"query": "carrier", "source": "warehouse"})
    assert listed.structured_content == {
        "sources": [
            {"name": "warehouse", "kind": "sqlite", "description": "Parcels", "where": None}
        ],
        "default": "warehouse",
    }
    assert "warehouse" in listed.content[0].text and "main" not in listed.content[0].text
    for answer in (asked, implied):
        assert not answer.is_error and answer.structured_content["rows"] == [[4]]
    assert [table["name"] for table in searched.structured_content["tables"]] == ["shipments"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_mcp_refuses_a_source_not_theirs_as_one_that_does_not_exist(
    sourced: ApiStack, language: str
) -> None:
    token = sourced.token()
    texts = []
    tries = [("ask", {"question": "How many shipments?"}), ("search_schema", {"query": "orders"})]
    for source in ("main", "nowhere"):
        for tool, arguments in tries:
            result = call(sourced, token, tool, {**arguments, "source": source}, language=language)
            assert result.is_error
            texts.append(result.content[0].text)
    assert set(texts) == {t("api.error.unknown_source", language)}
    manager = sourced.token(sourced.user("manager"))
    unnamed = call(sourced, manager, "ask", {"question": "How many shipments?"}, language=language)
    assert unnamed.is_error
    assert unnamed.content[0].text == t("api.error.source_required", language)
