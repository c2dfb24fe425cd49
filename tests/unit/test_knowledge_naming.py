"""The naming call of knowledge drafting: its prompt, its lenient parse and its filters."""

from __future__ import annotations

import json

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.knowledge import DRAFT, Entry
from backend.knowledge.naming import (
    MAX_LABEL_COLUMNS,
    keep_words,
    label_columns,
    name_keys,
    naming_messages,
    parse_names,
    with_names,
)

VESSELS = TableDoc(
    "vessel_registry",
    (
        ColumnDoc("vessel_id", "INT", primary_key=True),
        ColumnDoc("hull_code", "VARCHAR(12)"),
        ColumnDoc("flag_country", "VARCHAR(40)", sample_values=("Malta", "Panama")),
        ColumnDoc("home_port_id", "INT", sample_values=("1", "2")),
        ColumnDoc("rig", "VARCHAR(10)", sample_values=("sloop", "ketch")),
    ),
    foreign_keys=(ForeignKey(("home_port_id",), "harbours", ("harbour_id",)),),
    comment="One row per ship of the line.",
)
HARBOURS = TableDoc("harbours", (ColumnDoc("harbour_id", "INT", primary_key=True),))
OTHERS = name_keys([VESSELS, HARBOURS])


def test_the_prompt_asks_for_the_rows_and_the_label_columns_only() -> None:
    messages = naming_messages(VESSELS)
    assert [role for role, _ in messages] == ["system", "user", "assistant", "user"]
    asked = messages[-1][1]
    assert asked.startswith("Table: vessel_registry\nColumns: vessel id, hull code, flag")
    assert "About: One row per ship of the line." in asked
    template = json.loads(asked.split("Fill in:\n", 1)[1])
    # Keys (primary, foreign) and columns without sample values are not asked about.
    assert list(template) == ["rows", "flag_country", "rig"]
    json.loads(messages[2][1])  # the worked example is valid JSON


def test_label_columns_are_capped() -> None:
    wide = TableDoc(
        "wide",
        tuple(ColumnDoc(f"c{i}", "VARCHAR(5)", sample_values=("x",)) for i in range(10)),
    )
    assert len(label_columns(wide)) == MAX_LABEL_COLUMNS


def test_synonyms_that_only_repeat_the_schemas_names_are_dropped() -> None:
    words = ["Vessel registry information", "Hull Code", "ships", "Harbours", "vessel ID"]
    own = [VESSELS.name, *VESSELS.column_names]
    assert keep_words(words, own, OTHERS) == ("ships",)
    # Singular and plural, case and accents do not matter; another table's name is out.
    assert keep_words(["Vessel Registries", "harbour", "fleet"], own, OTHERS) == ("fleet",)


def test_parse_names_keeps_the_users_words_of_the_table_and_its_columns() -> None:
    answer = (
        "Sure:\n```json\n"
        '{"rows": {"en": ["vessel registry", "ships", "boats", "ships", "harbours"],'
        ' "es": ["barcos", "Información de registro"]},\n'
        ' "FLAG_COUNTRY": {"en": ["flag country", "flag state"], "es": "bandera, país"},\n'
        ' "not_a_column": {"en": ["ignored"]},\n'
        ' "rig": {"en": ["rig"]}}\n```'
    )
    assert parse_names(answer, VESSELS, OTHERS) == {
        "": (("ships", "boats"), ("barcos",)),
        "flag_country": (("flag state",), ("bandera", "país")),
    }


def test_parse_names_is_lenient_and_gives_nothing_for_nonsense() -> None:
    cut = '{"rows": {"en": ["ships"], "es": ["barcos"]}'  # the last brace is missing
    assert parse_names(cut, VESSELS) == {"": (("ships",), ("barcos",))}
    flat = '{"en": ["ships", "fleet"]}'
    assert parse_names(flat, VESSELS) == {"": (("ships", "fleet"), ())}
    assert parse_names("The rows are ships.", VESSELS) == {}
    assert parse_names('{"rows": 5, "rig": null}', VESSELS) == {}


def test_the_naming_words_come_first_and_drafted_synonyms_are_filtered() -> None:
    drafted = [
        Entry("vessel_registry", "", "Ships.", ("Vessel ID", "Hull code", "craft"), ("naves",)),
        Entry("vessel_registry", "hull_code", "Hull.", ("Hull code", "hull mark"), ()),
    ]
    names = {"": (("ships",), ("barcos",)), "rig": (("sail plan",), ())}
    merged = {e.column: e for e in with_names(drafted, names, VESSELS, OTHERS)}
    assert merged[""].synonyms_en == ("ships", "craft")
    assert merged[""].synonyms_es == ("barcos", "naves")
    assert merged[""].description == "Ships."
    assert merged["hull_code"].synonyms_en == ("hull mark",)
    assert merged["rig"] == Entry("vessel_registry", "rig", "", ("sail plan",), (), DRAFT)
