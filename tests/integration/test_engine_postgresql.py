"""Engine.ask end to end on PostgreSQL: the demo database loaded into a real server, the
production wiring (introspection, embedded Qdrant, guard, runner) and the scripted Ollama
answering a question of the demo golden set with its gold SQL, then repairing the MySQL
habits a model brings to PostgreSQL from the guard's and the server's words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.config import load_settings
from backend.domain import Actor
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.postgresql import scratch_database
from wiring.services import Services, build_services, index_database

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[2]
ANALYST = Actor(username="ana", role="analyst")
ORDERS = 1500


def _golden(question_id: str) -> dict[str, str]:
    lines = (ROOT / "bench" / "golden" / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    return next(json.loads(line) for line in lines if f'"id": "{question_id}"' in line)


@pytest.fixture(scope="module")
def demo_postgresql(postgres_server_url: str) -> Iterator[str]:
    with scratch_database(postgres_server_url, prefix="kk_engine") as url:
        build_demo_database(url, orders=ORDERS)
        yield url


@pytest.fixture
def services(demo_postgresql: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    settings = load_settings(
        ollama_base_url=scripted_ollama.url,
        ollama_model=scripted_ollama.chat_model,
        ollama_embed_model=scripted_ollama.embed_model,
        ollama_timeout_s=5,
        answer_candidates=0,
        query_timeout_s=5,
    )
    built = build_services(settings, database_url=demo_postgresql, qdrant=QdrantClient(":memory:"))
    index_database(built)
    scripted_ollama.clear_requests()
    yield built
    built.close()


def _scalar(url: str, sql: str) -> object:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar_one()
    engine.dispose()
    return value


def test_a_golden_question_is_answered_on_postgresql(
    services: Services, scripted_ollama: ScriptedOllama, demo_postgresql: str, tmp_path: Path
) -> None:
    golden = _golden("d23")  # revenue in Q4 2025: a join, a date range, an expression
    scripted_ollama.add(when("fourth quarter", reply=f"```sql\n{golden['gold_sql']}\n```"))
    answer = services.engine.ask(golden["question"], ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None
    revenue = answer.result.frame["revenue"].iloc[0]
    assert revenue == pytest.approx(float(str(_scalar(demo_postgresql, golden["gold_sql"]))))
    # The same rows as the SQLite demo built from the same seed.
    sqlite = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(sqlite, orders=ORDERS)
    assert Decimal(str(revenue)).quantize(Decimal("0.01")) == Decimal(
        str(_scalar(sqlite, golden["gold_sql"]))
    ).quantize(Decimal("0.01"))
    system = scripted_ollama.last_chat["messages"][0]["content"]
    assert "PostgreSQL:" in system and "date_trunc" in system and "MySQL" not in system


def test_mysql_habits_are_repaired_from_the_guards_and_the_servers_words(
    services: Services, scripted_ollama: ScriptedOllama, demo_postgresql: str
) -> None:
    fixed = (
        "SELECT EXTRACT(YEAR FROM o.order_date) AS year, COUNT(*) AS orders FROM orders o"
        " GROUP BY 1 ORDER BY 1"
    )
    scripted_ollama.add(
        when(
            "orders did we receive each year",
            replies=[
                # MySQL's DATE_FORMAT(): not a PostgreSQL function, refused by the guard.
                # (sqlglot turns YEAR(d) and IF(...) into PostgreSQL's own spellings.)
                "```sql\nSELECT DATE_FORMAT(order_date, '%Y') AS year, COUNT(*) AS orders"
                " FROM orders GROUP BY 1\n```",
            ],
        ),
        when(
            "That query failed",
            anywhere=False,
            replies=[
                # Passes the guard; PostgreSQL cannot SUBSTR a date.
                "```sql\nSELECT SUBSTR(order_date, 1, 4) AS year, COUNT(*) AS orders"
                " FROM orders GROUP BY 1\n```",
                f"```sql\n{fixed}\n```",
            ],
        ),
    )
    answer = services.engine.ask("How many orders did we receive each year?", ANALYST)
    assert answer.ok, answer.error
    assert [a.stage for a in answer.attempts] == ["check", "execute", "ok"]
    assert "DATE_FORMAT()" in (answer.attempts[0].error or "")
    assert "substring(date, integer, integer) does not exist" in (answer.attempts[1].error or "")
    assert answer.result is not None
    assert int(answer.result.frame["orders"].sum()) == ORDERS


def test_a_share_of_counts_is_divided_exactly_as_on_mysql(
    services: Services, scripted_ollama: ScriptedOllama, demo_postgresql: str, tmp_path: Path
) -> None:
    # As a model writes it for any dialect: integer by integer, which PostgreSQL truncates.
    share = (
        "SELECT c.country, COUNT(*) AS customers FROM customers c GROUP BY c.country"
        " HAVING COUNT(*) / (SELECT COUNT(*) FROM customers) >= 0.05 ORDER BY c.country"
    )
    scripted_ollama.add(when("at least 5%", reply=f"```sql\n{share}\n```"))
    answer = services.engine.ask("Which countries have at least 5% of our customers?", ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None
    assert _scalar(demo_postgresql, f"SELECT COUNT(*) FROM ({share}) AS t") == 0  # truncated
    sqlite = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(sqlite, orders=ORDERS)
    exact = share.replace("COUNT(*) /", "1.0 * COUNT(*) /")
    expected = _scalar(sqlite, f"SELECT COUNT(*) FROM ({exact}) AS t")
    assert isinstance(expected, int) and expected > 0
    assert len(answer.result.frame) == expected


def test_a_write_from_the_model_never_reaches_postgresql(
    services: Services, scripted_ollama: ScriptedOllama, demo_postgresql: str
) -> None:
    scripted_ollama.add(
        when(
            "forget the cancelled orders",
            reply="```sql\nWITH d AS (DELETE FROM orders WHERE status = 'cancelled'"
            " RETURNING order_id) SELECT COUNT(*) FROM d\n```",
        ),
        when("That query failed", reply="```sql\nCOPY orders TO PROGRAM 'rm -rf /'\n```"),
    )
    answer = services.engine.ask("Please forget the cancelled orders", ANALYST)
    assert not answer.ok
    assert answer.attempts[0].stage == "check"
    assert all(a.executed is None for a in answer.attempts)  # nothing reached the server
    assert _scalar(demo_postgresql, "SELECT COUNT(*) FROM orders") == ORDERS
