"""A data source's settings are checked and trimmed before they are kept, and its
password box refuses a token it did not make, saying so in the reader's language."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from backend.sources import DataSource, InvalidSource, main_source
from backend.sources.model import validated
from backend.sources.secrets import SecretBox, SecretUnreadable, is_valid_key


def _mysql(**changes: object) -> DataSource:
    values: dict[str, object] = {
        "name": "Sales",
        "kind": "mysql",
        "database": " shop ",
        "host": " db.example.com ",
        **changes,
    }
    return DataSource(**values)  # type: ignore[arg-type]


def test_validated_trims_lowers_and_fills_the_default_port() -> None:
    clean = validated(_mysql(description="  Orders   and\n customers  "))
    assert (clean.name, clean.database, clean.host, clean.port) == (
        "sales",
        "shop",
        "db.example.com",
        3306,
    )
    assert clean.description == "Orders and customers"
    assert validated(_mysql(kind="postgresql")).port == 5432


def test_sqlite_sources_have_no_host_or_port() -> None:
    clean = validated(DataSource(name="local", kind="sqlite", database="/d/x.db", host="h", port=1))
    assert (clean.host, clean.port) == ("", None)
    assert clean.where() == "/d/x.db"


@pytest.mark.parametrize(
    ("source", "key"),
    [
        (_mysql(name="9lives"), "sources.bad_name"),
        (_mysql(name="has space"), "sources.bad_name"),
        (_mysql(name="main"), "sources.reserved_name"),
        (_mysql(kind="oracle"), "sources.bad_kind"),
        (_mysql(database="  "), "sources.no_database"),
        (_mysql(host=""), "sources.no_host"),
        (_mysql(port=70000), "sources.bad_port"),
        (_mysql(description="x" * 301), "sources.description_too_long"),
        (_mysql(options=(("schema", "public"),)), "sources.bad_option"),
        (_mysql(kind="postgresql", options=(("schema", "a;drop"),)), "sources.bad_schema"),
    ],
)
def test_invalid_settings_are_named(source: DataSource, key: str) -> None:
    with pytest.raises(InvalidSource) as raised:
        validated(source)
    assert raised.value.message is not None and raised.value.message.key == key
    assert raised.value.render("es") != raised.value.render("en")


def test_postgresql_schema_becomes_the_search_path_and_the_password_stays_hidden() -> None:
    source = validated(_mysql(kind="postgresql", options=(("schema", "sales"),)))
    url = source.url("s3cret")
    assert url.query["options"] == "-csearch_path=sales"
    assert url.password == "s3cret"
    assert "s3cret" not in str(url) and "s3cret" not in source.where()


def test_main_source_keeps_its_url_but_shows_no_password() -> None:
    main = main_source("mysql+pymysql://app:s3cret@db:3307/shop")
    assert (main.name, main.kind, main.where(), main.has_password) == (
        "main",
        "mysql",
        "db:3307/shop",
        True,
    )
    assert "s3cret" not in repr(main)


def test_secret_box_round_trips_and_refuses_tampered_or_foreign_tokens() -> None:
    key = Fernet.generate_key()
    box = SecretBox(key)
    token = box.encrypt("s3cret-pw")
    assert "s3cret-pw" not in token
    assert box.decrypt(token, source="sales") == "s3cret-pw"
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (tampered, SecretBox(Fernet.generate_key()).encrypt("s3cret-pw"), "not a token"):
        with pytest.raises(SecretUnreadable) as raised:
            box.decrypt(bad, source="sales")
        assert raised.value.message is not None
        assert raised.value.message.key == "sources.password_unreadable"
        assert "'sales'" in raised.value.render("en") and "SOURCES_KEY" in raised.value.render("es")
        assert "s3cret-pw" not in raised.value.render("en")


def test_only_fernet_keys_are_valid() -> None:
    assert is_valid_key(Fernet.generate_key().decode())
    assert not is_valid_key("too-short")
