"""The schema check speaks the admin's knowledge: a query written in the users' words is
pointed at the real names, and the columns it lists carry their descriptions.

An invented legacy schema (upper-case abbreviations) with knowledge as `apply_knowledge`
leaves it on the TableDocs; the same schema without knowledge is the control.
"""

from __future__ import annotations

from dataclasses import replace

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc
from backend.schema_view import SchemaView
from backend.sql_validate import validate_sql


def _cols(*specs: tuple[str, str | None, tuple[str, ...]]) -> tuple[ColumnDoc, ...]:
    return tuple(
        ColumnDoc(name, "VARCHAR(20)", primary_key=i == 0, description=text, synonyms=words)
        for i, (name, text, words) in enumerate(specs)
    )


KNOWN = [
    TableDoc(
        "CUST_MST",
        _cols(
            ("CUST_NO", "Customer number", ()),
            ("CUST_NM", "The customer's full name", ("customer name", "client name")),
            ("STS_CD", "Account status: A active, X closed", ("status", "account state")),
            ("CR_LMT", "Credit limit in euros", ()),
        ),
        description="Customers and their accounts",
        synonyms=("customers", "clients"),
    ),
    TableDoc(
        "ORD_HDR",
        _cols(
            ("ORD_NO", None, ()),
            ("CUST_NO", None, ()),
            ("ORD_DT", "Date the order was placed", ("order date",)),
        ),
        foreign_keys=(ForeignKey(("CUST_NO",), "CUST_MST", ("CUST_NO",)),),
        description="Sales orders",
        synonyms=("orders", "purchases"),
    ),
]
PLAIN = [
    replace(
        t,
        description=None,
        synonyms=(),
        columns=tuple(replace(c, description=None, synonyms=()) for c in t.columns),
    )
    for t in KNOWN
]


def facts(sql: str, tables: list[TableDoc], policy: AccessPolicy | None = None) -> str:
    checked = validate_sql(
        sql, view=SchemaView(tables), dialect="mysql", policy=policy or AccessPolicy()
    )
    assert not checked.ok
    return " ".join(p.text for p in checked.problems)


def test_a_table_named_in_the_users_words_is_pointed_at_the_real_one() -> None:
    for word in ("clients", "client", "Clients", "customers"):
        found = facts(f"SELECT COUNT(*) FROM {word}", KNOWN)
        assert "closest tables are: CUST_MST (Customers and their accounts)" in found, found
    assert "ORD_HDR (Sales orders)" in facts("SELECT * FROM purchases", KNOWN)


def test_without_knowledge_the_users_word_finds_nothing_close() -> None:
    found = facts("SELECT COUNT(*) FROM clients", PLAIN)
    assert "closest tables" not in found and "The tables are: CUST_MST, ORD_HDR." in found


def test_a_column_named_in_the_users_words_is_suggested_first() -> None:
    for word in ("status", "account_state", "AccountState"):
        found = facts(f"SELECT c.{word} FROM CUST_MST c", KNOWN)
        assert "Did you mean c.STS_CD" in found, found
    found = facts("SELECT c.client_name FROM CUST_MST c", KNOWN)
    assert "Did you mean c.CUST_NM" in found, found


def test_without_knowledge_there_is_no_such_suggestion() -> None:
    found = facts("SELECT c.status FROM CUST_MST c", PLAIN)
    assert "STS_CD" in found  # listed among the columns, but not suggested
    assert "Did you mean c.STS_CD" not in found


def test_the_listed_columns_carry_their_descriptions() -> None:
    found = facts("SELECT c.balance FROM CUST_MST c", KNOWN)
    assert (
        "The columns of CUST_MST are: CUST_NO (Customer number), CUST_NM (The customer's full "
        "name), STS_CD (Account status: A active, X closed), CR_LMT (Credit limit in euros)."
    ) in found
    plain = facts("SELECT c.balance FROM CUST_MST c", PLAIN)
    assert "The columns of CUST_MST are: CUST_NO, CUST_NM, STS_CD, CR_LMT." in plain


def test_long_descriptions_are_cut_at_a_word() -> None:
    long = "A very long description of what this column holds, " * 4
    tables = [
        replace(
            KNOWN[0],
            columns=(replace(KNOWN[0].columns[0], description=long), *KNOWN[0].columns[1:]),
        )
    ]
    found = facts("SELECT c.balance FROM CUST_MST c", tables)
    start = found.index("CUST_NO (") + len("CUST_NO (")
    shown = found[start : found.index(")", start)]
    assert shown.endswith("…") and len(shown) <= 61 and long.startswith(shown[:-1])


def test_a_denied_columns_knowledge_is_never_offered() -> None:
    policy = AccessPolicy(
        denied_columns=frozenset({("cust_mst", "cr_lmt"), ("cust_mst", "sts_cd")})
    )
    found = facts("SELECT c.status FROM CUST_MST c", KNOWN, policy)
    assert "STS_CD" not in found and "Account status" not in found
    assert "Credit limit" not in found and "CR_LMT" not in found
