"""Loading question sets: our JSONL, Spider-style JSON/JSONL, follow-ups, errors, hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from backend.dialects import MYSQL, POSTGRESQL
from evaluation.sets import EvalSetError, database_url, load_set, select


def write_jsonl(path: Path, *items: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


OURS = [
    {
        "id": "a",
        "question": "How many orders?",
        "gold_sql": "SELECT COUNT(*) FROM orders",
        "tags": ["easy", "count"],
    },
    {
        "id": "b",
        "question": "And in 2025?",
        "gold_sql": "SELECT 1",
        "previous_id": "a",
        "tags": ["easy", "follow-up"],
    },
    {
        "id": "c",
        "question": "And of those, online?",
        "gold_sql": "SELECT 2",
        "previous_id": "b",
        "tags": ["medium", "follow-up", "filter"],
    },
    {"id": "d", "question": "Top customers", "gold_sql": "SELECT 3", "tags": ["hard", "top-n"]},
]


def test_our_format_loads_with_tags_difficulty_and_follow_ups(tmp_path: Path) -> None:
    loaded = load_set(write_jsonl(tmp_path / "set.jsonl", *OURS))
    assert [q.id for q in loaded.questions] == ["a", "b", "c", "d"]
    b = loaded.questions[1]
    assert b.previous_id == "a" and b.difficulty == "easy" and b.skills == ("follow-up",)
    assert loaded.gold_field == "gold_sql" and len(loaded.hash) == 64


def test_spider_jsonl_prefers_gold_sql_mysql_for_a_mysql_target(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "spider.jsonl",
        {
            "idx": 0,
            "db_id": "concert_singer",
            "question": "How many singers?",
            "gold_sql": "SELECT count(*) FROM singer",
            "gold_sql_mysql": "SELECT COUNT(*) FROM singer",
        },
    )
    on_mysql, on_sqlite = load_set(path, dialect=MYSQL), load_set(path)
    assert on_mysql.gold_field == "gold_sql_mysql" and on_sqlite.gold_field == "gold_sql"
    question = on_mysql.questions[0]
    assert (question.id, question.db, question.gold_sql) == (
        "0",
        "concert_singer",
        "SELECT COUNT(*) FROM singer",
    )
    assert on_mysql.hash != on_sqlite.hash
    assert load_set(path, gold_field="gold_sql").questions[0].gold_sql.startswith("SELECT count")


def test_a_postgresql_target_takes_a_questions_own_postgresql_gold(tmp_path: Path) -> None:
    monthly = "SELECT SUBSTR(order_date, 1, 7) FROM orders"
    on_postgres = "SELECT TO_CHAR(order_date, 'YYYY-MM') FROM orders"
    path = write_jsonl(
        tmp_path / "set.jsonl",
        {"id": "a", "question": "Months?", "gold_sql": monthly, "gold_sql_postgresql": on_postgres},
        {"id": "b", "question": "Orders?", "gold_sql": "SELECT COUNT(*) FROM orders"},
    )
    loaded = load_set(path, dialect=POSTGRESQL)
    assert [q.gold_sql for q in loaded.questions] == [on_postgres, "SELECT COUNT(*) FROM orders"]
    assert (loaded.gold_field, loaded.dialect_gold_field) == ("gold_sql", "gold_sql_postgresql")
    for other in (load_set(path, dialect=MYSQL), load_set(path)):
        assert other.questions[0].gold_sql == monthly and other.dialect_gold_field is None
    # A field named on the command line is taken for every question, as on any target.
    forced = load_set(path, dialect=POSTGRESQL, gold_field="gold_sql")
    assert forced.questions[0].gold_sql == monthly and forced.dialect_gold_field is None


def test_spider_dev_json_array_with_query_field(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(
        json.dumps(
            [
                {
                    "db_id": "pets_1",
                    "query": "SELECT count(*) FROM Student",
                    "question": "How many?",
                },
                {"db_id": "pets_1", "query": "SELECT 1", "question": "One?", "hardness": "easy"},
            ],
            indent=2,
        )
    )
    loaded = load_set(path, dialect=MYSQL)
    assert loaded.gold_field == "query"
    assert [q.id for q in loaded.questions] == ["0", "1"]
    assert loaded.questions[1].difficulty == "easy"


def test_the_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    compact = load_set(write_jsonl(tmp_path / "a.jsonl", *OURS)).hash
    spaced = tmp_path / "b.jsonl"
    spaced.write_text(
        "\n\n".join(json.dumps(item, indent=None, separators=(" , ", " : ")) for item in OURS)
    )
    assert load_set(spaced).hash == compact
    # The file hash is of the bytes read: what `keskinube eval` logs as the dataset's hash.
    assert load_set(spaced).file_hash == hashlib.sha256(spaced.read_bytes()).hexdigest()
    assert load_set(spaced).file_hash != load_set(tmp_path / "a.jsonl").file_hash
    edited = [dict(OURS[0], gold_sql="SELECT COUNT(*) FROM orders WHERE 1 = 1"), *OURS[1:]]
    assert load_set(write_jsonl(tmp_path / "c.jsonl", *edited)).hash != compact


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "a", "question": "q", "gold_sql": "SELECT 1"}\n{"id": "b", "question": ',
            ":2: not valid JSON",
        ),
        ('{"id": "a", "gold_sql": "SELECT 1"}\n', ':1: missing "question"'),
        ('{"id": "a", "question": "q"}\n', "no gold SQL in the set"),
        (
            '{"id": "a", "question": "q", "gold_sql": "SELECT 1", "tags": "easy"}\n',
            '"tags" must be a list',
        ),
        ("[1, 2]\n", "item 0 is not a JSON object"),
        ('["x"]', "item 0 is not a JSON object"),
        ("\n", "no questions in the file"),
        ('{"id": "a", "question": "q", "query": ""}\n', "missing gold SQL"),
    ],
)
def test_bad_lines_give_a_clear_error_with_file_and_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(EvalSetError) as error:
        load_set(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))


def test_follow_up_links_must_point_backwards_to_unique_ids(tmp_path: Path) -> None:
    forward = write_jsonl(tmp_path / "f.jsonl", OURS[1], OURS[0])
    with pytest.raises(EvalSetError, match=r"f.jsonl:1: previous_id 'a' must name a question"):
        load_set(forward)
    twice = write_jsonl(tmp_path / "t.jsonl", OURS[0], OURS[0])
    with pytest.raises(EvalSetError, match=r"t.jsonl:2: duplicate id 'a'"):
        load_set(twice)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="cannot read the question set"):
        load_set(tmp_path / "nope.jsonl")


def test_select_by_tag_brings_follow_up_context_along_unscored(tmp_path: Path) -> None:
    questions = load_set(write_jsonl(tmp_path / "s.jsonl", *OURS)).questions
    chosen = select(questions, tags=["filter"])
    assert [(s.question.id, s.scored) for s in chosen] == [("a", False), ("b", False), ("c", True)]
    assert [s.question.id for s in select(questions, limit=2)] == ["a", "b"]
    assert all(s.scored for s in select(questions))
    assert [s.question.id for s in select(questions, tags=["TOP-N", "count"])] == ["a", "d"]


def test_select_by_ids_keeps_file_order_and_refuses_unknown_ids(tmp_path: Path) -> None:
    questions = load_set(write_jsonl(tmp_path / "s.jsonl", *OURS)).questions
    chosen = select(questions, ids=["d", "b"])
    assert [(s.question.id, s.scored) for s in chosen] == [("a", False), ("b", True), ("d", True)]
    assert [s.question.id for s in select(questions, ids=["a", "c", "d"], tags=["hard"])] == ["d"]
    with pytest.raises(EvalSetError, match="no question has the id x, y"):
        select(questions, ids=["a", "y", "x"])


def test_database_url_template() -> None:
    template = "mysql+pymysql://root@127.0.0.1:3306/{db}"
    assert database_url(template, "world_1") == "mysql+pymysql://root@127.0.0.1:3306/world_1"
    assert database_url("sqlite:///d/{db_id}/{db_id}.sqlite", "pets_1") == (
        "sqlite:///d/pets_1/pets_1.sqlite"
    )
    assert database_url("sqlite:///demo.sqlite", "ignored") == "sqlite:///demo.sqlite"
    with pytest.raises(EvalSetError, match="question q9 names no database"):
        database_url(template, None, question_id="q9")
