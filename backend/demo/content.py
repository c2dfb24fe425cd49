"""Hand-written knowledge about the demo database: example questions and business notes.

`examples.yaml` holds reviewed question → SQL pairs (few-shot examples for the model);
`notes.yaml` short notes on how the business defines its numbers. Both are portable SQL
that runs on MySQL/MariaDB and SQLite alike, and on PostgreSQL too except where an
example has its own `sql_postgresql` (PostgreSQL cannot SUBSTR a date). `glossary.yaml`
maps Spanish business terms to the schema's English words for keyword search (read by
`vectorstore.glossary`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from backend.domain import Example, Note

FOLDER = Path(__file__).resolve().parent
EXAMPLES_FILE = FOLDER / "examples.yaml"
NOTES_FILE = FOLDER / "notes.yaml"
GLOSSARY_FILE = FOLDER / "glossary.yaml"


def load_examples(
    path: Path = EXAMPLES_FILE, *, language: str = "en", dialect: str = "mysql"
) -> tuple[Example, ...]:
    """The demo's question → SQL examples, in file order; questions in `language` where
    the file has them (`question_<language>`), else in English; SQL for `dialect` where
    the file has it (`sql_<dialect>`), else the portable SQL."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["examples"]
    return tuple(
        Example(
            question=str(e.get(f"question_{language}") or e["question"]).strip(),
            sql=str(e.get(f"sql_{dialect}") or e["sql"]).strip(),
        )
        for e in entries
    )


def load_notes(path: Path = NOTES_FILE) -> tuple[Note, ...]:
    """The demo's business notes, in file order."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["notes"]
    return tuple(Note(title=e["title"].strip(), text=" ".join(e["text"].split())) for e in entries)
