"""Engine.ask end to end: demo database, embedded Qdrant, scripted Ollama server.

The production wiring runs unchanged: LangChain's ChatOllama and the ollama client talk
HTTP to the scripted server, Qdrant runs in memory, and the SQL runs on real databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from auth.services import open_auth
from backend.charts import chart_for
from backend.config import load_settings
from backend.demo.schema import DEMO_TABLE_NAMES
from backend.domain import AccessPolicy, Actor, AppliedRule, RowFilter, Turn
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from wiring.services import Services, build_services, index_database

ANALYST = Actor(username="ana", role="analyst")
COUNT_SQL = "SELECT COUNT(*) AS customers FROM customers"


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    build_demo_database(url, orders=1500)
    return url


def _services(url: str, ollama: ScriptedOllama, **overrides: object) -> Services:
    values: dict[str, object] = {
        "ollama_base_url": ollama.url,
        "ollama_model": ollama.chat_model,
        "ollama_embed_model": ollama.embed_model,
        "ollama_timeout_s": 5,
        # The repair loop alone; sampled candidates: test_engine_candidates.py.
        "answer_candidates": 0,
    }
    settings = load_settings(**{**values, **overrides})
    services = build_services(settings, database_url=url, qdrant=QdrantClient(":memory:"))
    index_database(services)
    return services


@pytest.fixture
def services(demo_sqlite: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    built = _services(demo_sqlite, scripted_ollama)
    scripted_ollama.clear_requests()
    yield built
    built.close()


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar_one()
    engine.dispose()
    return int(value)


def test_ask_runs_the_models_sql_and_returns_rows(
    services: Services, scripted_ollama: ScriptedOllama, demo_sqlite: str
) -> None:
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL};\n```"))
    answer = services.engine.ask("How many customers do we have?", ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None
    assert answer.result.frame["customers"].iloc[0] == _count(demo_sqlite, COUNT_SQL)
    assert answer.prompt_tokens > 0 and answer.completion_tokens > 0
    assert {"retrieve", "generate", "check", "execute"} <= set(answer.timings)
    assert len(answer.attempts) == 1 and answer.attempts[0].error is None


def test_prompt_carries_schema_num_ctx_and_the_question_last(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("revenue", reply=f"```sql\n{COUNT_SQL}\n```"))
    services.engine.ask("What was the revenue per product category?", ANALYST)
    request = scripted_ollama.last_chat
    assert request is not None
    assert request["options"]["num_ctx"] == 8192
    assert request["options"]["temperature"] == 0
    system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
    assert "CREATE TABLE order_items" in system and "CREATE TABLE product_categories" in system
    assert user.rstrip().endswith("Question: What was the revenue per product category?")


def test_a_question_is_embedded_once_for_cache_retrieval_examples_and_notes(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    services = _services(
        demo_sqlite, scripted_ollama, schema_mode="retrieve", core_schema_max_tokens=0
    )
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    before = scripted_ollama.embed_count
    answer = services.engine.ask("How many Customers do we have?", ANALYST)
    services.close()
    assert answer.ok and answer.retrieval is not None and answer.retrieval.mode == "hybrid"
    assert scripted_ollama.embed_count - before == 1


def test_retrieved_schema_is_kept_within_its_token_budget(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    from backend.join_paths import expand_join_paths
    from backend.prompts import estimate_tokens

    budget = 450
    services = _services(
        demo_sqlite,
        scripted_ollama,
        schema_mode="retrieve",
        retrieved_schema_max_tokens=budget,
        core_schema_max_tokens=0,
    )
    scripted_ollama.add(when("revenue", reply=f"```sql\n{COUNT_SQL}\n```"))
    answer = services.engine.ask("Revenue per product category and customer segment", ANALYST)
    tables = services.engine.tables()
    services.close()
    assert answer.ok and answer.retrieval is not None
    kept = [t.name for t in answer.retrieval.tables]
    assert 1 <= len(kept) < 5  # some of the 5 retrieved did not fit
    assert answer.retrieval.added_for_joins == expand_join_paths(kept, tables)
    system = scripted_ollama.last_chat["messages"][0]["content"]
    blocks = system.split("Schema:\n", 1)[1].split("\n\n")
    assert len(blocks) == len(kept) + len(answer.retrieval.added_for_joins)
    assert sum(estimate_tokens(block) for block in blocks) <= budget


def test_follow_up_question_sees_the_previous_sql(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("and for 2025", reply=f"```sql\n{COUNT_SQL}\n```"))
    earlier_sql = "SELECT COUNT(*) FROM orders WHERE order_date < '2025'"
    earlier = Turn("How many orders in 2024?", earlier_sql)
    answer = services.engine.ask("and for 2025?", ANALYST, conversation=[earlier])
    assert answer.ok
    prompt = scripted_ollama.last_chat["messages"][-1]["content"]
    assert "How many orders in 2024?" in prompt
    assert earlier_sql in prompt


def test_self_corrects_after_a_database_error(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(
        when(
            "customers per segment",
            replies=[
                # Fits the schema and the guard's rules; fails in the database (not JSON).
                "```sql\nSELECT segment, JSON_EXTRACT(segment, '$.a') FROM customers "
                "GROUP BY 1\n```",
                "```sql\nSELECT segment, COUNT(*) AS n FROM customers GROUP BY segment\n```",
            ],
        ),
        when("That query failed", anywhere=False, respond=lambda _m: scripted_ollama_fix()),
    )
    answer = services.engine.ask("customers per segment", ANALYST)
    assert answer.ok, answer.error
    assert len(answer.attempts) == 2
    first = answer.attempts[0]
    assert first.stage == "execute" and "could not run this query" in (first.error or "")
    retry = scripted_ollama.last_chat["messages"]
    assert retry[-2]["role"] == "assistant" and "JSON_EXTRACT" in retry[-2]["content"]
    # The database's own words never reach the model: they could quote a row's value.
    assert "could not run this query" in retry[-1]["content"]
    assert "malformed" not in retry[-1]["content"].lower()


def scripted_ollama_fix() -> str:
    return "```sql\nSELECT segment, COUNT(*) AS n FROM customers GROUP BY segment\n```"


def test_guard_rejection_is_fed_back_and_never_runs(
    services: Services, scripted_ollama: ScriptedOllama, demo_sqlite: str
) -> None:
    before = _count(demo_sqlite, "SELECT COUNT(*) FROM customers")
    scripted_ollama.add(
        when(
            "delete old customers",
            reply="```sql\nDELETE FROM customers\n```",
        ),
        when(
            "That query failed",
            replies=[
                "```sql\nDROP TABLE customers\n```",
                "```sql\nUPDATE customers SET segment = 'x'\n```",
            ],
        ),
    )
    answer = services.engine.ask("delete old customers", ANALYST)
    assert not answer.ok
    assert "Couldn't answer that after 3 tries" in (answer.error or "")
    assert "only read" in (answer.error or "").lower() or "read-only" in (answer.error or "")
    assert [a.stage for a in answer.attempts] == ["check", "check", "check"]
    assert _count(demo_sqlite, "SELECT COUNT(*) FROM customers") == before
    # The page shows the same outcome in the reader's language.
    assert answer.error_message is not None
    assert answer.error_message.render("es").startswith("No he podido responder tras 3 intentos")


def test_answer_without_sql_is_retried_then_reported(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("", reply="I'm sorry, I cannot help with that."))
    answer = services.engine.ask("What is the meaning of life?", ANALYST)
    assert not answer.ok
    assert "contained no SQL" in (answer.error or "")
    assert scripted_ollama.chat_count == 3


def test_cache_hit_skips_the_model_and_reruns_the_sql(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    first = services.engine.ask("How many customers do we have?", ANALYST)
    second = services.engine.ask("how many customers do we have", ANALYST)
    assert first.ok and second.ok and second.cached and not first.cached
    assert scripted_ollama.chat_count == 1
    assert second.result is not None and second.result.frame.equals(first.result.frame)
    other_role = services.engine.ask("How many customers do we have?", Actor("m", "manager"))
    assert not other_role.cached and scripted_ollama.chat_count == 2


def test_thumbs_down_evicts_from_the_cache(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    services.engine.ask("How many customers?", ANALYST)
    services.engine.forget("How many customers?", ANALYST)
    again = services.engine.ask("How many customers?", ANALYST)
    assert not again.cached and scripted_ollama.chat_count == 2


def test_ollama_down_gives_a_clear_answer(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.stop()
    answer = services.engine.ask("How many customers do we have?", ANALYST)
    assert not answer.ok
    assert "isn't reachable" in (answer.error or "")
    assert "Traceback" not in (answer.error or "")


def test_garbage_from_ollama_gives_a_clear_answer(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.garbage = True
    answer = services.engine.ask("How many customers do we have?", ANALYST)
    assert not answer.ok and answer.error
    assert "Traceback" not in answer.error


def test_slow_ollama_times_out_with_a_message(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    services = _services(demo_sqlite, scripted_ollama, ollama_timeout_s=0.5)
    scripted_ollama.delay_s = 2
    answer = services.engine.ask("How many customers do we have?", ANALYST)
    services.close()
    assert not answer.ok and "longer than" in (answer.error or "")


def test_sparse_retrieval_answers_when_embeddings_are_unavailable(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    services = _services(demo_sqlite, scripted_ollama, ollama_embed_model="not-pulled")
    services.engine.config = services.engine.config.__class__(
        **{
            **services.engine.config.__dict__,
            "schema_mode": "retrieve",
            "core_schema_max_tokens": 0,
        }
    )
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    answer = services.engine.ask("How many customers do we have?", ANALYST)
    services.close()
    assert answer.ok, answer.error
    assert answer.retrieval is not None and answer.retrieval.mode == "sparse"
    assert answer.retrieval.warning
    assert "customers" in [t.name for t in answer.retrieval.tables]


def test_role_policy_hides_columns_from_prompt_and_guard(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    policy = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))
    analyst = Actor("ana", "analyst", policy=policy)
    scripted_ollama.add(
        when("average salary", reply="```sql\nSELECT AVG(salary) FROM employees\n```")
    )
    answer = services.engine.ask("average salary", analyst)
    assert not answer.ok
    assert "employees.salary" in (answer.error or "")
    assert "salary" not in scripted_ollama.chat_requests[0]["messages"][0]["content"]


def test_an_answer_names_the_access_rules_that_shaped_it(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    policy = AccessPolicy(
        denied_columns=frozenset({("employees", "salary")}),
        row_filters=(RowFilter("customers", "region_id = :user.region_id"),),
    )
    manager = Actor("mia", "manager", policy=policy, attributes=(("region_id", "2"),))
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    asked = services.engine.ask("How many customers do we have?", manager)
    assert asked.ok, asked.error
    assert asked.rules == (AppliedRule("customers", "region_id = '2'"),)
    own = services.engine.run_sql("SELECT first_name FROM employees", manager)
    assert own.ok and own.rules == (AppliedRule("employees", None, ("salary",)),)
    plain = services.engine.run_sql("SELECT name FROM regions", manager)
    assert plain.ok and plain.rules == ()
    refused = services.engine.run_sql("SELECT salary FROM employees", manager)
    assert not refused.ok and refused.rules == ()


def test_user_sql_runs_through_the_same_guard(services: Services) -> None:
    ok = services.engine.run_sql("SELECT segment, COUNT(*) AS n FROM customers GROUP BY 1", ANALYST)
    assert ok.ok and ok.result is not None and ok.result.row_count >= 2
    bad = services.engine.run_sql("UPDATE customers SET segment = 'x'", ANALYST)
    assert not bad.ok and bad.attempts[0].stage == "check"


def test_row_cap_marks_the_result_truncated(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    services = _services(demo_sqlite, scripted_ollama, row_limit=10)
    answer = services.engine.run_sql("SELECT order_id FROM orders", ANALYST)
    services.close()
    assert answer.ok and answer.result is not None
    assert answer.result.row_count == 10 and answer.result.truncated


@pytest.mark.mariadb
def test_ask_on_mariadb_with_a_slow_query_stops_at_the_time_limit(
    mysql_url: str, scripted_ollama: ScriptedOllama
) -> None:
    build_demo_database(mysql_url, orders=1000)
    services = _services(mysql_url, scripted_ollama, query_timeout_s=0.5)
    slow = (
        "SELECT COUNT(*) FROM order_items a JOIN order_items b JOIN order_items c "
        "WHERE a.quantity + b.quantity + c.quantity > 0"
    )
    scripted_ollama.add(when("everything", reply=f"```sql\n{slow}\n```"))
    answer = services.engine.ask("count everything", ANALYST)
    assert not answer.ok and "longer than 0.5 s" in (answer.error or "")
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    fine = services.engine.ask("How many customers?", ANALYST)
    services.close()
    assert fine.ok and fine.result is not None
    assert fine.result.frame["customers"].iloc[0] == _count(mysql_url, COUNT_SQL)


def test_cli_index_ask_and_search(
    demo_sqlite: str,
    scripted_ollama: ScriptedOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from cli import main

    monkeypatch.setenv("DATABASE_URL", demo_sqlite)
    monkeypatch.setenv("OLLAMA_BASE_URL", scripted_ollama.url)
    monkeypatch.setenv("OLLAMA_MODEL", scripted_ollama.chat_model)
    monkeypatch.setenv("OLLAMA_EMBED_MODEL", scripted_ollama.embed_model)
    monkeypatch.setenv("QDRANT_PATH", str(tmp_path / "qdrant"))
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("APP_DATABASE_URL", app_db)
    monkeypatch.setenv("ADMIN_USERNAME", "boss")
    monkeypatch.setenv("ADMIN_PASSWORD", "Correct-Horse-Battery-9")
    assert main(["index", "--no-progress"]) == 0
    assert "12 added" in capsys.readouterr().out
    assert main(["index", "--no-progress"]) == 0
    assert "12 unchanged" in capsys.readouterr().out
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    assert main(["ask", "How many customers?", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ok"] and printed["columns"] == ["customers"]
    assert printed["explanation"] == "Computed the number of rows from customers."
    auth = open_auth(app_db)
    (run,) = auth.audit.query().entries[:1]
    auth.close()
    assert (run.username, run.source, run.question) == ("boss", "cli", "How many customers?")
    assert main(["schema", "search", "revenue by product category", "--k", "3", "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    # In the product's order (examples' and foreign-key neighbours' tables brought
    # forward), each with its search score.
    names = [table["name"] for table in ranked["tables"]]
    assert len(set(names)) == 3 and set(names) <= set(DEMO_TABLE_NAMES)
    assert all(table["score"] > 0 for table in ranked["tables"])
    assert ranked["mode"] == "hybrid"
    question = ["schema", "search", "revenue by product category", "--k", "3", "--json"]
    assert main([*question, "--sparse-only"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "sparse"


@pytest.fixture
def offline_cli(
    demo_sqlite: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[list[str]], int]:
    """The CLI's `main` on the indexed demo database, with no model to reach."""
    from cli import main

    monkeypatch.setenv("DATABASE_URL", demo_sqlite)
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("QDRANT_PATH", str(tmp_path / "qdrant"))
    assert main(["index", "--no-progress"]) == 0
    return main


def test_cli_sql_check_applies_a_roles_policy(
    offline_cli: Callable[[list[str]], int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    statements = tmp_path / "statements.jsonl"
    lines = [
        {"id": "avg-salary", "sql": "SELECT AVG(salary) FROM employees"},
        {"id": "names", "sql": "SELECT first_name FROM employees"},
        {"id": "write", "sql": "DELETE FROM employees"},
    ]
    statements.write_text("\n".join(json.dumps(line) for line in lines))
    capsys.readouterr()
    assert offline_cli(["sql", "check", "--file", str(statements), "--role", "analyst"]) == 0
    verdicts = {v["id"]: v for v in map(json.loads, capsys.readouterr().out.splitlines())}
    assert not verdicts["avg-salary"]["allowed"]
    assert "employees.salary" in verdicts["avg-salary"]["reason"]
    assert verdicts["names"]["allowed"] and not verdicts["write"]["allowed"]
    assert offline_cli(["sql", "check", "--file", str(statements)]) == 0
    unrestricted = [json.loads(v) for v in capsys.readouterr().out.splitlines()]
    assert [v["allowed"] for v in unrestricted] == [True, True, False]


def test_cli_sql_check_goes_on_after_a_refused_crashing_or_broken_line(
    offline_cli: Callable[[list[str]], int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    deep = "SELECT " + "ABS(" * 60 + "1" + ")" * 60 + " FROM employees"
    lines = [
        json.dumps({"id": "deep", "sql": deep}),
        json.dumps({"id": "huge", "sql": "SELECT '" + "x" * 200_000 + "'"}),
        '{"id": "broken", "sql": ',
        json.dumps({"id": "no-sql", "query": "SELECT 1"}),
        json.dumps(["SELECT 1"]),
        json.dumps({"id": "write", "sql": "DELETE FROM employees"}),
        json.dumps({"id": "last", "sql": "SELECT first_name FROM employees"}),
    ]
    statements = tmp_path / "statements.jsonl"
    statements.write_text("\n".join(lines))
    capsys.readouterr()
    assert offline_cli(["sql", "check", "--file", str(statements)]) == 0
    verdicts = [json.loads(v) for v in capsys.readouterr().out.splitlines()]
    assert [v["allowed"] for v in verdicts] == [False] * 6 + [True]
    assert "levels deep" in verdicts[0]["reason"] and "characters" in verdicts[1]["reason"]
    assert verdicts[2]["line"] == 3 and "Not a JSON line" in verdicts[2]["reason"]
    assert verdicts[3]["id"] == "no-sql" and '"sql"' in verdicts[3]["reason"]


def test_a_repeated_failed_query_ends_the_run_with_a_column_hint_given(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    bad = "```sql\nSELECT c.name FROM customers c WHERE c.country = 'Germany'\n```"
    scripted_ollama.add(when("German customers", reply=bad), when("That query failed", reply=bad))
    answer = services.engine.ask("Names of our German customers", ANALYST)
    assert not answer.ok
    # Stopped by the schema check before it ran; its facts went into the retry.
    assert [a.stage for a in answer.attempts] == ["check", "generate"]
    assert scripted_ollama.chat_count == 2
    assert "column named name" in (answer.error or "")
    retry = scripted_ollama.last_chat["messages"][-1]["content"]
    assert "customers (as c) has no column name" in retry
    assert "Did you mean c.customer_name" in retry


def test_with_chart_suggestions_the_models_chart_proposal_comes_back_with_the_answer(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    built = _services(demo_sqlite, scripted_ollama, chart_suggestions=True)
    try:
        scripted_ollama.add(
            when(
                "customers per segment",
                reply="```sql\nSELECT segment, COUNT(*) AS customers FROM customers "
                'GROUP BY segment\n```\n```json\n{"kind": "donut", "x": "segment", '
                '"y": "customers"}\n```',
            )
        )
        answer = built.engine.ask("How many customers per segment?", ANALYST)
        assert answer.ok, answer.error
        assert answer.chart_proposal is not None
        assert answer.result is not None
        assert chart_for(answer.result.frame, answer.chart_proposal).kind == "donut"
        request = scripted_ollama.last_chat
        assert request is not None
        assert "proposing a chart" in request["messages"][0]["content"]
    finally:
        built.close()


def test_without_chart_suggestions_the_prompt_does_not_ask_for_a_chart(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    services.engine.ask("How many customers do we have?", ANALYST)
    request = scripted_ollama.last_chat
    assert request is not None
    assert "chart" not in request["messages"][0]["content"]
