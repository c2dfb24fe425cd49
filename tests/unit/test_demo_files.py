"""The demo's static pieces: schema comments, examples, notes, and the docker init files."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from backend.demo import load_examples, load_notes, metadata
from demo_data import render_readonly_user_sql
from demo_data.dump import write_sql_dump
from demo_data.readonly import TEMPLATE
from demo_data.spec import DemoSpec

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker" / "mysql"
COMMITTED_DUMP = DOCKER / "02-demo-data.sql.gz"


def test_every_table_and_most_columns_have_comments() -> None:
    assert len(metadata.tables) >= 12
    for table in metadata.tables.values():
        assert table.comment, table.name
        commented = [column for column in table.columns if column.comment]
        uncommented_keys = [c for c in table.columns if not c.comment and not c.primary_key]
        assert not uncommented_keys, f"{table.name}: {[c.name for c in uncommented_keys]}"
        assert len(commented) >= len(table.columns) - 1, table.name


def test_every_table_has_a_primary_key_and_the_facts_have_foreign_keys() -> None:
    for table in metadata.tables.values():
        assert table.primary_key.columns, table.name
    for name in ("orders", "order_items", "payments", "shipments", "returns", "customers"):
        assert metadata.tables[name].foreign_keys, name
    assert "salary" in metadata.tables["employees"].columns


def test_examples_are_plain_selects_written_as_questions() -> None:
    examples = load_examples()
    assert len(examples) >= 15
    assert len({example.question for example in examples}) == len(examples)
    for example in examples:
        assert example.question.endswith(("?", ".")), example.question
        tree = sqlglot.parse_one(example.sql, read="mysql")
        assert isinstance(tree, exp.Select | exp.Union), example.question
        sqlglot.parse_one(example.sql, read="sqlite")


def test_notes_define_revenue_statuses_and_quarters() -> None:
    notes = load_notes()
    assert len(notes) >= 8
    text = " ".join(note.text for note in notes)
    for phrase in ("quantity", "unit_price", "(1 - order_items.discount)", "cancelled", "Q1"):
        assert phrase in text


def test_readonly_template_escapes_every_value() -> None:
    statements = render_readonly_user_sql(
        TEMPLATE.read_text(),
        database="odd`db",
        password="it's; a \\ test",
        user="ro_user",
    )
    assert statements == [
        "CREATE USER IF NOT EXISTS 'ro_user'@'%' IDENTIFIED BY 'it''s; a \\\\ test'",
        "ALTER USER 'ro_user'@'%' IDENTIFIED BY 'it''s; a \\\\ test'",
        "GRANT SELECT ON `odd``db`.* TO 'ro_user'@'%'",
    ]


def test_readonly_template_is_not_run_by_the_mysql_image_as_is() -> None:
    runnable = (".sh", ".sql", ".sql.gz", ".sql.bz2", ".sql.xz", ".sql.zst")
    assert not TEMPLATE.name.endswith(runnable)
    assert TEMPLATE.parent == DOCKER


def test_init_script_refuses_to_run_without_a_password() -> None:
    script = DOCKER / "01-readonly-user.sh"
    assert not os.access(script, os.X_OK), "the image must source it, not execute it"
    result = subprocess.run(
        ["bash", "-c", 'mysql_error() { echo "$*" >&2; exit 1; }; source "$1"', "-", script],
        env={"PATH": os.environ["PATH"], "MYSQL_DATABASE": "keskinube_demo"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "KESKINUBE_RO_PASSWORD is not set" in result.stderr


def test_docker_readme_describes_every_file() -> None:
    readme = (DOCKER / "README.md").read_text()
    for path in DOCKER.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, path.name


def test_committed_dump_matches_a_fresh_one(tmp_path: Path) -> None:
    fresh = tmp_path / "dump.sql.gz"
    write_sql_dump(fresh, DemoSpec(orders=5_000))
    assert COMMITTED_DUMP.stat().st_size < 1_000_000
    committed = gzip.decompress(COMMITTED_DUMP.read_bytes())
    assert gzip.decompress(fresh.read_bytes()) == committed, (
        "docker/mysql/02-demo-data.sql.gz is stale: regenerate it with `keskinube demo-db "
        "--sql-dump docker/mysql/02-demo-data.sql.gz --orders 5000`"
    )


def test_dump_bytes_are_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.sql.gz", tmp_path / "b.sql.gz"
    write_sql_dump(first, DemoSpec(orders=500))
    write_sql_dump(second, DemoSpec(orders=500))
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("statement", ["USE ", "CREATE DATABASE", "GRANT "])
def test_dump_stays_inside_the_database_it_is_loaded_into(statement: str) -> None:
    text = gzip.decompress(COMMITTED_DUMP.read_bytes()).decode()
    assert statement not in text


def test_every_example_has_its_question_in_spanish_too() -> None:
    english, spanish = load_examples(), load_examples(language="es")
    assert [e.sql for e in spanish] == [e.sql for e in english]
    for mine, theirs in zip(spanish, english, strict=True):
        assert mine.question != theirs.question
        assert mine.question.endswith(("?", ".")), mine.question
    assert load_examples(language="fr") == english  # no such questions: English
