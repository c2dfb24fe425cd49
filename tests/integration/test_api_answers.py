"""The HTTP API answers as the web page does: a real uvicorn, the app database, a MariaDB
business database and the scripted model.

Questions, own SQL, the stream, exports, conversations and schema search, each under the
caller's own rules (a role's denied column, a user's row filter) and audited with the
API's source.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import pytest

from backend.i18n import t
from testkit.scripted_ollama import when
from tests.support.api_fixtures import ApiStack
from tests.support.mcp_host import mcp_client, run_async

pytestmark = pytest.mark.mariadb

BY_REGION = "SELECT region, SUM(amount) AS total FROM orders GROUP BY region ORDER BY region"


def sql_reply(sql: str) -> str:
    return f"```sql\n{sql}\n```"


def script(api: ApiStack, question: str, sql: str) -> None:
    api.ollama.add(when(question, reply=sql_reply(sql)), first=True)


def audit_rows(api: ApiStack, username: str) -> list[tuple[str | None, str]]:
    return [(e.source, e.status) for e in api.auth.audit.iter_entries() if e.username == username]


def test_ask_returns_sql_rows_chart_summary_and_explanation(api: ApiStack) -> None:
    script(api, "amount by region", BY_REGION)
    with api.client(api.token()) as client:
        reply = client.post("/v1/ask", json={"question": "What is the amount by region?"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["ok"] is True and body["error"] is None and body["kind"] == "question"
    assert body["sql"] == BY_REGION and "LIMIT" in body["checked_sql"]
    assert body["columns"] == ["region", "total"]
    assert body["rows"] == [["east", 50.75], ["north", 90.5], ["south", 70.25]]
    assert body["row_count"] == 3 and body["truncated"] is False
    assert body["chart"]["spec"]["kind"] in {"bar", "barh", "donut"}
    figure = body["chart"]["figure"]
    assert figure["data"] and "layout" in figure  # Plotly's JSON, for Plotly.newPlot
    assert body["summary"] and body["explanation"]
    assert {"retrieve", "generate", "check", "execute"} <= set(body["timings"])
    assert isinstance(body["conversation_id"], int) and isinstance(body["turn_id"], int)
    assert "attempts" not in body  # the tries are for admins, as on the page


def test_the_answer_is_written_in_the_callers_language(api: ApiStack) -> None:
    script(api, "amount for each region", BY_REGION)
    question = {"question": "Show the amount for each region"}
    with api.client(api.token(), language="es-ES,es;q=0.9") as client:
        spanish = client.post("/v1/ask", json=question).json()
    with api.client(api.token(api.user(language="es")), language="en") as client:
        english = client.post("/v1/ask", json={**question, "keep": False}).json()
    assert spanish["ok"] and english["ok"]
    assert spanish["explanation"] != english["explanation"]
    assert spanish["summary"] != english["summary"]
    assert english["conversation_id"] is None  # keep: false stores nothing


def test_a_roles_denied_column_is_refused(api: ApiStack) -> None:
    api.auth.policies.set_denied_columns("manager", ["orders.note"])
    script(api, "order notes", "SELECT id, note FROM orders ORDER BY id")
    with api.client(api.token(api.user("manager"))) as client:
        asked = client.post("/v1/ask", json={"question": "List the order notes"})
        own = client.post("/v1/sql", json={"sql": "SELECT note FROM orders"})
    assert asked.status_code == 200 and own.status_code == 200
    refused = asked.json()
    assert refused["ok"] is False and refused["rows"] == []
    assert refused["error"]["code"] == "restricted"
    assert "orders.note" in refused["error"]["message"]
    assert own.json()["error"]["code"] == "sql_rejected"
    assert "zz-note" not in asked.text + own.text


def test_a_row_filter_applies_to_questions_and_own_sql(api: ApiStack) -> None:
    nora = api.user()
    api.auth.policies.add_row_filter("orders", "region = 'north'", username=nora)
    script(api, "how many orders", "SELECT COUNT(*) AS orders FROM orders")
    with api.client(api.token(nora)) as client:
        asked = client.post("/v1/ask", json={"question": "How many orders are there?"}).json()
        own = client.post("/v1/sql", json={"sql": "SELECT id FROM orders ORDER BY id"}).json()
    assert asked["rows"] == [[3]]  # not 6: only the north's orders
    assert asked["rules"][0]["table"] == "orders" and "north" in asked["rules"][0]["condition"]
    assert asked["rules"][0]["notice"]
    assert own["ok"] and own["kind"] == "sql" and own["rows"] == [[1], [2], [6]]


def test_rows_are_capped_at_the_row_limit(api: ApiStack) -> None:
    with api.client(api.token()) as client:
        body = client.post("/v1/sql", json={"sql": "SELECT id FROM orders ORDER BY id"}).json()
    assert body["rows"] == [[i] for i in range(1, 7)] and body["truncated"] is False
    engine = api.services.engine
    config = engine.config
    engine.config = type(config)(**{**config.__dict__, "row_limit": 4})
    try:
        with api.client(api.token()) as client:
            cut = client.post("/v1/sql", json={"sql": "SELECT id FROM orders ORDER BY id"})
    finally:
        engine.config = config
    assert cut.json()["rows"] == [[1], [2], [3], [4]] and cut.json()["truncated"] is True


def events(response: httpx.Response) -> Iterator[tuple[str, dict[str, object]]]:
    """(event, data) of a server-sent event stream."""
    name, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
        elif not line and data:
            yield name, json.loads(data)
            name, data = "message", ""


def test_the_stream_sends_each_step_then_the_answer(api: ApiStack) -> None:
    script(api, "largest order", "SELECT MAX(amount) AS largest FROM orders")
    with (
        api.client(api.token()) as client,
        client.stream("POST", "/v1/ask/stream", json={"question": "largest order?"}) as reply,
    ):
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        received = list(events(reply))
    names = [name for name, _ in received]
    assert names == ["retrieve", "generate", "check", "execute", "chart", "answer"]
    assert received[0][1] == {"step": "retrieve"}
    answer = received[-1][1]
    assert answer["ok"] is True and answer["rows"] == [[60]]
    assert answer["chart"]["spec"]["kind"] == "kpi" and answer["chart"]["kpi"]["value"]


def test_questions_and_exports_are_audited_with_their_source(api: ApiStack) -> None:
    script(api, "orders per region", BY_REGION)
    username = api.user()
    with api.client(api.token(username)) as client:
        client.post("/v1/ask", json={"question": "orders per region"}).raise_for_status()
        client.post("/v1/sql", json={"sql": "SELECT id FROM orders"}).raise_for_status()
        client.post("/v1/export", json={"sql": "SELECT id FROM orders"}).raise_for_status()
    assert audit_rows(api, username) == [("api", "ok"), ("api", "ok"), ("export", "ok")]


def test_export_streams_the_csv_of_the_callers_rows(api: ApiStack) -> None:
    nora = api.user()
    api.auth.policies.add_row_filter("orders", "region = 'north'", username=nora)
    sql = "SELECT id, region, amount FROM orders ORDER BY id"
    with api.client(api.token(nora)) as client:
        reply = client.post("/v1/export", json={"sql": sql, "question": "North orders"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert 'filename="keskinube-north-orders.csv"' in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert rows == [
        ["id", "region", "amount"],
        ["1", "north", "10.5"],
        ["2", "north", "20.0"],
        ["6", "north", "60.0"],
    ]


def test_an_export_the_guard_refuses_is_a_json_error(api: ApiStack) -> None:
    with api.client(api.token(), language="es") as client:
        reply = client.post("/v1/export", json={"sql": "DELETE FROM orders"})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "export_failed"
    assert reply.json()["error"]["message"]


def test_conversations_are_the_callers_own(api: ApiStack) -> None:
    script(api, "total amount", "SELECT SUM(amount) AS total FROM orders")
    with api.client(api.token()) as ana, api.client(api.token()) as bea:
        first = ana.post("/v1/ask", json={"question": "total amount?"}).json()
        conversation = first["conversation_id"]
        count = {"sql": "SELECT COUNT(*) AS n FROM orders", "conversation_id": conversation}
        ana.post("/v1/sql", json=count).raise_for_status()
        listed = ana.get("/v1/conversations").json()["conversations"]
        read = ana.get(f"/v1/conversations/{conversation}").json()
        other = bea.get(f"/v1/conversations/{conversation}")
        into = bea.post("/v1/ask", json={"question": "total?", "conversation_id": conversation})
        theirs = bea.get("/v1/conversations").json()["conversations"]
    assert [c["id"] for c in listed] == [conversation]
    assert [turn["kind"] for turn in read["turns"]] == ["question", "sql"]
    assert read["turns"][0]["rows"] == first["rows"] and read["turns"][1]["rows"] == [[6]]
    assert read["title"].startswith("total amount")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert other.json()["error"]["message"] == t("engine.conversations.gone", "en")
    assert into.status_code == 404
    assert theirs == []


def test_schema_search_ranks_the_readable_tables(api: ApiStack) -> None:
    with api.client(api.token()) as client:
        found = client.get("/v1/schema/search", params={"q": "order amounts by region", "k": 3})
        bad = client.get("/v1/schema/search", params={"q": "orders", "k": 0})
    assert found.status_code == 200
    assert [t["name"] for t in found.json()["tables"]] == ["orders"]
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == ["k"]


def test_health_needs_no_token_and_tells_no_secrets(api: ApiStack) -> None:
    with api.client() as client:
        reply = client.get("/v1/health")
    assert reply.status_code == 200
    assert reply.json() == {"ok": True, "database": True, "model": True, "vectors": True}


def test_the_docs_describe_the_token_scheme(api: ApiStack) -> None:
    with api.client() as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert docs.status_code == 200
    scheme = schema["components"]["securitySchemes"]["token"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "kk_" in scheme["description"]
    for path in ("/v1/ask", "/v1/ask/stream", "/v1/sql", "/v1/export"):
        assert schema["paths"][path]["post"]["security"] == [{"token": []}]
    assert "security" not in schema["paths"]["/v1/health"]["get"]


def test_the_mcp_endpoint_is_served_beside_the_api_with_the_same_tokens(api: ApiStack) -> None:
    async def search(token: str | None) -> object:
        async with mcp_client(f"{api.url}/mcp", token) as client:
            return await client.call_tool("search_schema", {"query": "order amounts"})

    found = run_async(search, api.token())
    assert not found.is_error
    assert "orders" in json.dumps(found.structured_content)
    with api.client() as client:
        refused = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert refused.status_code == 401
