"""The MCP endpoint, driven by the SDK's own client over streamable HTTP against a real
uvicorn: the tools answer as the token's user (row filter, denied column, hidden table),
every answer is audited with the source "mcp", and a request without a usable token gets
the same bare 401 whatever was wrong (MariaDB business database, scripted Ollama, app
database on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from mcp.shared.exceptions import MCPError

from api.mcp_server import build_mcp
from api.services import api_services
from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from auth import audit
from auth.passwords import PasswordHasher
from auth.services import AuthServices, build_auth
from auth.tokens import TokenStore
from backend.i18n import Message, t
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.auth_fixtures import GOOD_PASSWORD, ManualClock
from tests.support.mcp_host import hosted, mcp_client, run_async, serving
from tests.support.runs import recorded_runs
from tests.support.services import scripted_services

pytestmark = pytest.mark.mariadb

SETUP = [
    "CREATE TABLE orders (id INT PRIMARY KEY, region_id INT, amount DECIMAL(10, 2),"
    " note VARCHAR(40)) COMMENT 'One row per order'",
    "INSERT INTO orders VALUES (1, 1, 10, 'zz-private-1'), (2, 2, 20, 'zz-private-2'),"
    " (3, 2, 30, 'zz-private-3'), (4, 1, 40, 'zz-private-4'), (5, 2, 50, 'zz-private-5'),"
    " (6, 1, 60, 'zz-private-6')",
    "CREATE TABLE payroll (id INT PRIMARY KEY, person VARCHAR(40), salary DECIMAL(10, 2))"
    " COMMENT 'Salaries paid to each person'",
    "INSERT INTO payroll VALUES (1, 'someone', 1000)",
]
COUNT = "SELECT COUNT(*) AS orders FROM orders"
LIST = "SELECT id, amount FROM orders ORDER BY id"
NOTES = "SELECT note FROM orders"
MAX_ROWS = 4


def sql_block(sql: str) -> str:
    return f"```sql\n{sql}\n```"


@dataclass
class Endpoint:
    url: str
    auth: AuthServices
    tokens: TokenStore
    clock: ManualClock
    ana: str  # analyst of region 2: orders only, no notes, her region's rows only
    boss: str  # manager: no rules

    def runs(self) -> list[audit.AuditEntry]:
        return [e for e in self.auth.audit.iter_entries() if e.event == "sql_run"]


@pytest.fixture
def endpoint(mysql_url: str, scripted_ollama: ScriptedOllama, tmp_path: Path) -> Iterator[Endpoint]:
    business = sa.create_engine(mysql_url)
    with business.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    business.dispose()
    app_db = create_app_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    upgrade(app_db)
    clock = ManualClock()
    auth = build_auth(app_db, hasher=PasswordHasher(rounds=4), clock=clock)
    auth.users.create_user(
        "ana", role="analyst", password=GOOD_PASSWORD, attributes={"region_id": "2"}
    )
    auth.users.create_user("boss", role="manager", password=GOOD_PASSWORD)
    auth.policies.set_allowed_tables("analyst", ["orders"])
    auth.policies.set_denied_columns("analyst", ["orders.note"])
    auth.policies.add_row_filter("orders", "region_id = :user.region_id", role="analyst")
    tokens = TokenStore(app_db, auth.users, clock=clock)
    scripted_ollama.add(
        when("how many orders", reply=sql_block(COUNT)),
        when("list the orders", reply=sql_block(LIST)),
        when("order notes", reply=sql_block(NOTES)),
    )
    with scripted_services(scripted_ollama, mysql_url, data_dir=tmp_path) as services:
        api = api_services(services.settings, services, auth)
        mcp_app = build_mcp(api, tokens, max_rows=MAX_ROWS)
        with serving(hosted(mcp_app)) as base:
            yield Endpoint(
                url=f"{base}/mcp",
                auth=auth,
                tokens=tokens,
                clock=clock,
                ana=tokens.create("ana", "assistant").secret,
                boss=tokens.create("boss", "assistant").secret,
            )
        api.close()
    app_db.dispose()


def call(url: str, token: str, tool: str, arguments: dict[str, Any], **options: Any) -> Any:
    async def go() -> Any:
        async with mcp_client(url, token, **options) as client:
            return await client.call_tool(tool, arguments)

    return run_async(go)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_the_tools_are_listed_with_their_schemas(endpoint: Endpoint, mode: str) -> None:
    async def go() -> Any:
        async with mcp_client(endpoint.url, endpoint.ana, mode=mode) as client:
            return await client.list_tools()

    tools = {tool.name: tool for tool in run_async(go).tools}
    assert set(tools) == {"ask", "search_schema", "list_sources"}
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["ask"].input_schema["properties"]) == {"question", "source"}
    assert set(tools["search_schema"].input_schema["properties"]) == {"query", "k", "source"}
    assert tools["list_sources"].input_schema.get("properties", {}) == {}
    for tool in tools.values():
        assert tool.output_schema is not None
        assert tool.annotations is not None and tool.annotations.read_only_hint


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # the handshake era and the 2026 one
def test_ask_answers_under_the_callers_row_filter_and_is_audited_as_mcp(
    endpoint: Endpoint, mode: str
) -> None:
    question = {"question": "How many orders are there?"}
    mine = call(endpoint.url, endpoint.ana, "ask", question, mode=mode)
    everyone = call(endpoint.url, endpoint.boss, "ask", question, mode=mode)
    assert not mine.is_error and not everyone.is_error
    assert mine.structured_content["rows"] == [[3]]  # region 2 only
    assert everyone.structured_content["rows"] == [[6]]
    assert mine.structured_content["columns"] == ["orders"]
    assert "COUNT(*)" in mine.structured_content["sql"]
    assert mine.structured_content["summary"] and mine.structured_content["explanation"]
    notes = mine.structured_content["notes"]
    assert notes and "2" in notes[0]  # the row filter is said, not silently applied
    assert everyone.structured_content["notes"] == []
    text = mine.content[0].text
    assert mine.structured_content["summary"] in text and "| 3 |" in text and "```sql" in text
    runs = endpoint.runs()
    assert [(e.username, e.source, e.status) for e in runs] == [
        ("ana", "mcp", audit.OK),
        ("boss", "mcp", audit.OK),
    ]
    assert "region_id = '2'" in (runs[0].sql or "")
    assert mine.structured_content["sql_ran"] == runs[0].sql  # what ran, rules included
    recorded = [
        (r["username"], r["source"], r["outcome"]) for r in recorded_runs(endpoint.auth.engine)
    ]
    assert recorded == [("ana", "mcp", "answered"), ("boss", "mcp", "answered")]
    assert "region_id" not in mine.structured_content["sql"]  # what the model wrote


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_denied_column_is_refused_with_the_catalogue_message(
    endpoint: Endpoint, language: str
) -> None:
    refused = call(
        endpoint.url,
        endpoint.ana,
        "ask",
        {"question": "Show me the order notes"},
        language=f"{language}-XX,{language};q=0.9",
    )
    assert refused.is_error
    denied = Message.of("guard.column.denied", table="orders", column="note").render(language)
    said = refused.content[0].text
    assert said.startswith(t("mcp.ask.failed", language, error="").strip())
    assert denied in said
    assert refused.structured_content["ok"] is False
    assert denied in refused.structured_content["error"]
    assert "zz-private" not in said and "Traceback" not in said
    runs = endpoint.runs()
    assert [(e.username, e.source) for e in runs] == [("ana", "mcp")]
    assert runs[0].status != audit.OK
    # The same question from a role without the rule is answered.
    allowed = call(endpoint.url, endpoint.boss, "ask", {"question": "Show me the order notes"})
    assert not allowed.is_error and len(allowed.structured_content["rows"]) == MAX_ROWS


def test_rows_are_capped_and_the_cap_is_said(endpoint: Endpoint) -> None:
    result = call(endpoint.url, endpoint.boss, "ask", {"question": "list the orders"})
    data = result.structured_content
    assert data["rows"] == [[1, 10.0], [2, 20.0], [3, 30.0], [4, 40.0]]
    assert data["row_count"] == 6 and data["truncated"] is True
    assert t("mcp.ask.rows_first", "en", shown=MAX_ROWS, count=6) in result.content[0].text


def test_search_schema_lists_only_what_the_caller_may_read(endpoint: Endpoint) -> None:
    arguments = {"query": "salaries paid and orders", "k": 5}
    mine = call(endpoint.url, endpoint.ana, "search_schema", arguments).structured_content
    everyone = call(endpoint.url, endpoint.boss, "search_schema", arguments).structured_content
    assert [table["name"] for table in mine["tables"]] == ["orders"]
    assert {table["name"] for table in everyone["tables"]} == {"orders", "payroll"}
    orders = {table["name"]: table for table in everyone["tables"]}["orders"]
    assert orders["description"] == "One row per order"
    assert [c["name"] for c in orders["columns"]] == ["id", "region_id", "amount", "note"]
    assert [c["name"] for c in mine["tables"][0]["columns"]] == ["id", "region_id", "amount"]
    assert endpoint.runs() == []  # a schema search reads no rows


def refusals(endpoint: Endpoint) -> dict[str, str | None]:
    """One way each for a request to carry no usable token."""
    revoked = endpoint.tokens.create("ana", "old laptop")
    endpoint.tokens.revoke(revoked.token.id, by=endpoint.auth.users.get_user("ana"))
    expiring = endpoint.tokens.create("boss", "trial", expires_in=timedelta(hours=1))
    endpoint.auth.users.create_user("gone", role="analyst", password=GOOD_PASSWORD)
    disabled = endpoint.tokens.create("gone", "assistant")
    endpoint.auth.users.disable("gone")
    endpoint.clock.advance(hours=2)
    return {
        "none": None,
        "not ours": "not-a-keskinube-token",
        "unknown": "kk_" + "x" * 43,
        "revoked": revoked.secret,
        "expired": expiring.secret,
        "disabled user": disabled.secret,
    }


def test_no_usable_token_gets_the_same_bare_401(endpoint: Endpoint) -> None:
    answers = {}
    for why, token in refusals(endpoint).items():
        headers = {"Accept": "application/json, text/event-stream"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        reply = httpx.post(endpoint.url, json=message, headers=headers)
        answers[why] = (reply.status_code, reply.headers.get("www-authenticate"), reply.text)
    assert len(set(answers.values())) == 1, answers  # nothing tells one case from another
    status, challenge, body = answers["revoked"]
    assert status == 401 and challenge is not None and challenge.startswith("Bearer ")
    assert "revoked" not in body and "expired" not in body and "ana" not in body
    assert endpoint.runs() == []


def test_a_token_revoked_between_calls_is_refused_at_once(endpoint: Endpoint) -> None:
    token = endpoint.tokens.create("ana", "to revoke")

    async def go() -> list[str]:
        seen = []
        async with mcp_client(endpoint.url, token.secret) as client:
            first = await client.call_tool("ask", {"question": "How many orders are there?"})
            seen.append("answered" if not first.is_error else "error")
            endpoint.tokens.revoke(token.token.id, by=endpoint.auth.users.get_user("ana"))
            try:
                await client.call_tool("ask", {"question": "How many orders are there?"})
            except MCPError:
                seen.append("refused")
        return seen

    assert run_async(go) == ["answered", "refused"]
    assert [(e.username, e.source) for e in endpoint.runs()] == [("ana", "mcp")]


def test_a_client_without_a_token_cannot_connect(endpoint: Endpoint) -> None:
    async def go() -> None:
        async with mcp_client(endpoint.url, None) as client:
            await client.list_tools()

    with pytest.raises(BaseException) as caught:
        run_async(go)
    assert any(isinstance(error, MCPError) for error in leaves(caught.value)), caught.value


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups: the client's task groups wrap them."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]
