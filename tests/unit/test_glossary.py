"""Bilingual glossary for sparse search: Spanish normalisation, parsing, query expansion."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.demo import metadata
from backend.schema import introspect
from backend.schema_render import table_document
from demo_data.catalog import SUPPLIERS
from demo_data.customers import TLDS
from vectorstore.glossary import Glossary, GlossaryError, load_glossary, parse_glossary
from vectorstore.sparse import (
    SparseEncoder,
    encode_query,
    query_words,
    singular_es,
    title_term,
    token_index,
    tokenize,
)
from wiring.services import demo_comments

DEMO_GLOSSARY = Path(__file__).resolve().parents[2] / "backend" / "demo" / "glossary.yaml"


def _glossary(**terms: object) -> Glossary:
    return parse_glossary({"terms": {k.replace("_", " "): v for k, v in terms.items()}})


def _expand(glossary: Glossary, text: str) -> list[str]:
    return [" ".join(phrase) for phrase in glossary.expand(query_words(text))]


def test_spanish_plurals_are_undone_for_lookups() -> None:
    words = ["regiones", "paises", "ventas", "clientes", "proveedores", "unidades", "veces"]
    assert [singular_es(w) for w in words] == [
        "region",
        "pais",
        "venta",
        "cliente",
        "proveedor",
        "unidad",
        "vez",
    ]
    assert [singular_es(w) for w in ["pais", "mes", "status", "analisis"]] == [
        "pais",
        "mes",
        "status",
        "analisis",
    ]


def test_query_words_fold_accents_and_drop_stopwords_without_stemming() -> None:
    assert query_words("¿Cuántas Devoluciones hubo por categoría?") == [
        "devoluciones",
        "hubo",
        "categoria",
    ]


def test_accents_case_and_plurals_of_a_term_do_not_matter() -> None:
    glossary = _glossary(línea_de_pedido="order item", región="region")
    assert _expand(glossary, "LINEAS DEL PEDIDO por regiones") == ["order item", "region"]


def test_the_longest_term_at_a_position_wins() -> None:
    glossary = _glossary(código="code", descuento="discount", código_de_descuento="discount code")
    assert _expand(glossary, "códigos de descuento más usados") == ["discount code"]
    assert _expand(glossary, "descuento medio") == ["discount"]


def test_a_prefix_term_matches_verb_forms() -> None:
    glossary = _glossary(**{"factur*": "revenue"})
    assert _expand(glossary, "¿Cuánto facturamos? ¿Y lo facturado?") == ["revenue", "revenue"]
    assert _expand(glossary, "fábrica") == []


def test_a_term_may_stand_for_several_english_phrases() -> None:
    glossary = _glossary(envío=["shipment", "shipping cost"])
    assert _expand(glossary, "envíos") == ["shipment", "shipping cost"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "'terms' mapping"),
        ({"terms": ["cliente"]}, "'terms' mapping"),
        ({"terms": {"cliente": ""}}, "English words"),
        ({"terms": {"cliente": {"en": "customer"}}}, "English words"),
        ({"terms": {"de la": "customer"}}, "only stopwords"),
        ({"terms": {"fa*": "revenue"}}, "of 3\\+ letters"),
        ({"terms": {"gran cuen*": "enterprise"}}, "one word"),
    ],
)
def test_malformed_glossaries_are_refused(data: object, message: str) -> None:
    with pytest.raises(GlossaryError, match=message):
        parse_glossary(data)


def test_a_broken_glossary_file_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yaml"
    path.write_text("terms: [unclosed\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"glossary\.yaml"):
        load_glossary(path)


def test_encoder_without_glossary_encodes_like_encode_query() -> None:
    for text in ["revenue per region", "¿Facturación por región?", "order_items"]:
        assert SparseEncoder().query(text) == encode_query(text)


def test_encoder_adds_the_english_words_and_their_title_to_the_query() -> None:
    encoder = SparseEncoder(_glossary(línea_de_pedido="order item"))
    indices = set(encoder.query("líneas de pedido devueltas").indices)
    words = ["order", "item"]
    expected = {*map(token_index, words), token_index(title_term(words))}
    assert expected <= indices
    assert set(encode_query("líneas de pedido devueltas").indices) < indices


def test_demo_glossary_leaves_english_questions_alone() -> None:
    encoder = SparseEncoder(load_glossary(DEMO_GLOSSARY))
    for text in [
        "Which carrier delivered the most parcels last quarter?",
        "Average discount per sales channel and customer segment",
        "List the suppliers in Germany with their lead time",
    ]:
        assert encoder.query(text) == encode_query(text), text


def _demo_vocabulary(tmp_path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    metadata.create_all(engine)
    tables = [demo_comments(t) for t in introspect(engine)]
    engine.dispose()
    countries = " ".join([*TLDS, *(country for _, country in SUPPLIERS)])
    return {w for t in tables for w in tokenize(table_document(t))} | set(tokenize(countries))


def test_every_demo_glossary_word_names_something_in_the_demo_schema(tmp_path: Path) -> None:
    glossary = load_glossary(DEMO_GLOSSARY)
    vocabulary = _demo_vocabulary(tmp_path)
    phrases = [*glossary.phrases.values(), *glossary.prefixes.values()]
    words = {w for alternatives in phrases for phrase in alternatives for w in phrase}
    assert not words - vocabulary
    assert 50 <= len(glossary) <= 250  # business vocabulary, not a dictionary
