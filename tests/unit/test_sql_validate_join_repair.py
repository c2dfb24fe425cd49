"""Columns taken from the wrong table, put right by the foreign keys (issue 14).

The small model's commonest unknown column is a real column of another table. Three
invented schemas (the naming styles of test_sql_validate) and a fourth with two keys
between the same tables; each mistake kind in several shapes, then the near-misses that
must stay as written: two tables that could be meant, a path of two keys, comma joins,
keys of two columns, a name already taken as an alias, hidden tables and denied columns.
Last, a join that would change what the rest of the query reads (a star, a correlated
column, an outer join's rows, another unknown column), and PostgreSQL's mixed-case names.
"""

from __future__ import annotations

import pytest
import sqlglot

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, RowFilter, TableDoc
from backend.schema_view import SchemaView
from backend.sql_guard import check_sql
from backend.sql_validate import validate_sql
from tests.support.invented_schemas import BILLING, CLINIC, LIBRARY
from tests.support.invented_schemas import table as _table

# Two keys from flights to airports: which one a bare airport column means is unclear.
TRAVEL = SchemaView(
    [
        _table("airports", ["code", "airport_name", "country"]),
        _table(
            "flights",
            ["flight_no", "origin", "destination", "carrier_id"],
            ("origin", "airports", "code"),
            ("destination", "airports", "code"),
            ("carrier_id", "carriers", "id"),
        ),
        _table("carriers", ["id", "carrier_name", "country"]),
        TableDoc(
            "fares",
            (
                ColumnDoc("carrier_id", "INT"),
                ColumnDoc("fare_class", "INT"),
                ColumnDoc("price", "INT"),
            ),
            foreign_keys=(
                ForeignKey(("carrier_id", "fare_class"), "classes", ("carrier", "code")),
            ),
        ),
        _table("classes", ["carrier", "code", "class_name"]),
    ]
)

# A customer's own name beside the name of the region it belongs to.
SHOP = SchemaView(
    [
        _table("customers", ["id", "customer_name", "region_id"], ("region_id", "regions", "id")),
        _table("regions", ["id", "name"]),
    ]
)


def _repaired(sql: str, view: SchemaView, policy: AccessPolicy | None = None) -> str:
    checked = validate_sql(sql, view=view, dialect="mysql", policy=policy or AccessPolicy())
    assert checked.ok, [p.text for p in checked.problems]
    return checked.sql


def _same(a: str, b: str) -> bool:
    return sqlglot.parse_one(a, read="mysql") == sqlglot.parse_one(b, read="mysql")


@pytest.mark.parametrize(
    ("view", "sql", "expected"),
    [
        # JOIN … ON a column one of the two tables lacks: the one key between them
        (
            LIBRARY,
            "SELECT l.LoanId FROM Loans l JOIN Members m ON l.BranchId = m.MemberId",
            "SELECT l.LoanId FROM Loans AS l JOIN Members AS m ON l.MemberId = m.MemberId",
        ),
        (
            CLINIC,
            "SELECT d.full_name FROM visits JOIN doctors d ON visits.doctor = d.id",
            "SELECT d.full_name FROM visits JOIN doctors AS d ON visits.doctor_id = d.id",
        ),
        (
            BILLING,
            "SELECT b.AMT_DUE FROM MTR_MST m JOIN BILL_HDR b ON m.BILL_NO = b.MTR_NO",
            "SELECT b.AMT_DUE FROM MTR_MST AS m JOIN BILL_HDR AS b ON m.MTR_NO = b.MTR_NO",
        ),
        # the wrong alias: the one other table of the SELECT that has the column
        (
            LIBRARY,
            "SELECT m.LoanedAt FROM Loans l JOIN Members m ON m.MemberId = l.MemberId",
            "SELECT l.LoanedAt FROM Loans AS l JOIN Members AS m ON m.MemberId = l.MemberId",
        ),
        (
            CLINIC,
            "SELECT v.speciality FROM visits v JOIN doctors d ON d.id = v.doctor_id",
            "SELECT d.speciality FROM visits AS v JOIN doctors AS d ON d.id = v.doctor_id",
        ),
        (
            BILLING,
            "SELECT c.AMT_DUE FROM CUST_MST c JOIN MTR_MST m ON m.CUST_NO = c.CUST_NO "
            "JOIN BILL_HDR b ON b.MTR_NO = m.MTR_NO WHERE c.bill_dt > '2024-01-01'",
            "SELECT b.AMT_DUE FROM CUST_MST AS c JOIN MTR_MST AS m ON m.CUST_NO = c.CUST_NO "
            "JOIN BILL_HDR AS b ON b.MTR_NO = m.MTR_NO WHERE b.BILL_DT > '2024-01-01'",
        ),
        # a neighbour's column read without the neighbour: it is joined on the key
        (
            CLINIC,
            "SELECT speciality, fee FROM visits",
            "SELECT doctors.speciality, visits.fee FROM visits "
            "JOIN doctors ON visits.doctor_id = doctors.id",
        ),
        (
            BILLING,
            "SELECT RGN_CD, COUNT(*) FROM MTR_MST GROUP BY RGN_CD",
            "SELECT CUST_MST.RGN_CD, COUNT(*) FROM MTR_MST "
            "JOIN CUST_MST ON MTR_MST.CUST_NO = CUST_MST.CUST_NO GROUP BY CUST_MST.RGN_CD",
        ),
        (  # qualified with the table the neighbour hangs on
            LIBRARY,
            "SELECT c.CopyId FROM Copies c WHERE c.Genre = 'Poetry'",
            "SELECT c.CopyId FROM Copies AS c JOIN Titles ON c.TitleId = Titles.TitleId "
            "WHERE Titles.Genre = 'Poetry'",
        ),
        (  # two neighbours, one join each; a second column of the same one joins it once
            LIBRARY,
            "SELECT COUNT(*) FROM Copies WHERE Genre = 'x' AND City = 'y' AND TitleName <> ''",
            "SELECT COUNT(*) FROM Copies JOIN Titles ON Copies.TitleId = Titles.TitleId "
            "JOIN Branches ON Copies.BranchId = Branches.BranchId "
            "WHERE Titles.Genre = 'x' AND Branches.City = 'y' AND Titles.TitleName <> ''",
        ),
        (  # inside a WITH query, which the outer query then reads
            LIBRARY,
            "WITH c AS (SELECT TitleName, BranchId FROM Copies) SELECT TitleName FROM c",
            "WITH c AS (SELECT Titles.TitleName, Copies.BranchId FROM Copies "
            "JOIN Titles ON Copies.TitleId = Titles.TitleId) SELECT TitleName FROM c",
        ),
        (  # inside a subquery
            CLINIC,
            "SELECT full_name FROM patients WHERE id IN "
            "(SELECT patient_id FROM visits WHERE speciality = 'cardiology')",
            "SELECT full_name FROM patients WHERE id IN (SELECT visits.patient_id FROM visits "
            "JOIN doctors ON visits.doctor_id = doctors.id "
            "WHERE doctors.speciality = 'cardiology')",
        ),
        (  # the joined table shares a column name: the others are pinned to their table
            CLINIC,
            "SELECT full_name, speciality FROM visits JOIN patients ON patients.id = "
            "visits.patient_id",
            "SELECT patients.full_name, doctors.speciality FROM visits JOIN patients ON "
            "patients.id = visits.patient_id JOIN doctors ON visits.doctor_id = doctors.id",
        ),
        (  # in another case than the schema's
            BILLING,
            "SELECT rgn_cd FROM mtr_mst",
            "SELECT CUST_MST.RGN_CD FROM MTR_MST "
            "JOIN CUST_MST ON MTR_MST.CUST_NO = CUST_MST.CUST_NO",
        ),
        (  # a column of a table reached by one key while two lead to another table
            TRAVEL,
            "SELECT flight_no, carrier_name FROM flights",
            "SELECT flights.flight_no, carriers.carrier_name FROM flights "
            "JOIN carriers ON flights.carrier_id = carriers.id",
        ),
    ],
)
def test_a_column_of_the_wrong_table_is_read_where_the_keys_say(
    view: SchemaView, sql: str, expected: str
) -> None:
    assert _same(_repaired(sql, view), expected), _repaired(sql, view)


@pytest.mark.parametrize(
    ("view", "sql"),
    [
        # two other tables of the SELECT have the column: which one is unclear
        (
            LIBRARY,
            "SELECT m.BranchId FROM Members m JOIN Copies c ON c.BranchId = m.HomeBranchId "
            "JOIN Branches b ON b.BranchId = c.BranchId",
        ),
        # two keys lead from flights to airports
        (TRAVEL, "SELECT flight_no, airport_name FROM flights"),
        (TRAVEL, "SELECT f.flight_no FROM flights f JOIN airports a ON f.code = a.code"),
        # carriers (one key away) and airports (two keys to it) both have the column
        (TRAVEL, "SELECT flight_no, country FROM flights"),
        # the key has two columns
        (TRAVEL, "SELECT price, class_name FROM fares"),
        # the column is two keys away
        (LIBRARY, "SELECT FullName, Genre FROM Members"),
        (CLINIC, "SELECT speciality FROM patients"),
        # no key at all
        (BILLING, "SELECT RGN_DESC FROM CUST_MST"),
        # comma joins: a join added after them could not see the first table
        (LIBRARY, "SELECT BranchName FROM Members, Loans WHERE Loans.MemberId = Members.MemberId"),
        # the neighbour's name is already an alias for another table
        (LIBRARY, "SELECT Titles.CopyId, Genre FROM Copies AS Titles"),
        # a misspelt column no table has
        (CLINIC, "SELECT v.price FROM visits v"),
        # a column spelt like one of the table's own: maybe a misspelling of it
        (SHOP, "SELECT name FROM customers"),  # customer_name, not the region's name
        (SHOP, "SELECT c.name FROM customers c JOIN regions r ON r.id = c.region_id"),
        (SHOP, "SELECT c.nam FROM customers c JOIN regions r ON r.id = c.region_id"),
        (BILLING, "SELECT CUST_NM FROM MTR_MST"),  # CUST_NO is a letter away
        # one column settled by a key, another not (CUST_MST and BILL_HDR have STS_CD): a
        # join added for the first must not settle the second unasked
        (BILLING, "SELECT rgn_cd, sts_cd FROM mtr_mst"),
    ],
)
def test_what_the_keys_do_not_settle_is_left_for_the_facts(view: SchemaView, sql: str) -> None:
    checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
    assert not checked.ok
    assert checked.sql.upper().count("JOIN") == sql.upper().count("JOIN")


@pytest.mark.parametrize(
    ("view", "sql"),
    [
        # both ON columns exist: a join on other columns is the author's call
        (CLINIC, "SELECT COUNT(*) FROM patients p JOIN doctors d ON p.full_name = d.full_name"),
        # a self-join
        (CLINIC, "SELECT a.id FROM visits a JOIN visits b ON a.patient_id = b.patient_id"),
        # columns every table of the query has
        (LIBRARY, "SELECT c.CopyId, t.Genre FROM Copies c JOIN Titles t ON t.TitleId = c.TitleId"),
        # an output alias used in ORDER BY
        (CLINIC, "SELECT doctor_id, COUNT(*) AS n FROM visits GROUP BY doctor_id ORDER BY n"),
    ],
)
def test_queries_that_fit_the_schema_are_untouched(view: SchemaView, sql: str) -> None:
    checked = validate_sql(sql, view=view, dialect="mysql", policy=AccessPolicy())
    assert checked.ok
    assert not checked.repaired


NO_DOCTORS = AccessPolicy(allowed_tables=frozenset({"patients", "visits"}))
NO_SPECIALITY = AccessPolicy(denied_columns=frozenset({("doctors", "speciality")}))
NO_SSN = AccessPolicy(denied_columns=frozenset({("patients", "ssn")}))


@pytest.mark.parametrize(
    ("sql", "policy"),
    [
        ("SELECT speciality FROM visits", NO_DOCTORS),
        (
            "SELECT v.fee FROM visits v JOIN patients p ON p.id = v.patient_id "
            "WHERE v.speciality = 1",
            NO_DOCTORS,
        ),
        ("SELECT speciality FROM visits", NO_SPECIALITY),
        ("SELECT ssn FROM visits", NO_SSN),
        ("SELECT v.ssn FROM visits v", NO_SSN),
        ("SELECT d.ssn FROM visits v JOIN doctors d ON d.id = v.doctor_id", NO_SSN),
        ("SELECT v.ssn FROM visits v JOIN patients p ON p.id = v.patient_id", NO_SSN),
    ],
)
def test_a_hidden_table_or_denied_column_is_never_joined_or_named(
    sql: str, policy: AccessPolicy
) -> None:
    checked = validate_sql(sql, view=CLINIC, dialect="mysql", policy=policy)
    assert "JOIN doctors" not in checked.sql or "JOIN doctors" in sql
    assert "JOIN patients" not in checked.sql or "JOIN patients" in sql
    lowered = checked.sql.lower()
    assert "doctors.speciality" not in lowered and "patients.ssn" not in lowered
    assert "p.ssn" not in lowered


def test_the_guard_filters_a_joined_table_by_its_row_filter() -> None:
    """A repair never widens what is read: the guard still applies the joined table's rule."""
    policy = AccessPolicy(row_filters=(RowFilter("doctors", "id = 7"),))
    sql = _repaired("SELECT speciality, fee FROM visits", CLINIC, policy)
    checked = check_sql(sql, schema=CLINIC.known, dialect="mysql", row_limit=10, policy=policy)
    assert "doctors" in checked.tables
    assert "7" in checked.sql


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_repair_speaks_every_dialect(dialect: str) -> None:
    checked = validate_sql(
        "SELECT speciality, fee FROM visits", view=CLINIC, dialect=dialect, policy=AccessPolicy()
    )
    assert checked.ok and checked.repaired
    assert "JOIN doctors ON visits.doctor_id = doctors.id" in checked.sql


def test_names_that_need_quotes_stay_quoted() -> None:
    view = SchemaView(
        [
            TableDoc(
                "Order Details",
                (ColumnDoc("id", "INT", primary_key=True), ColumnDoc("prod id", "INT")),
                foreign_keys=(ForeignKey(("prod id",), "Products", ("id",)),),
            ),
            TableDoc(
                "Products",
                (ColumnDoc("id", "INT", primary_key=True), ColumnDoc("Unit Price", "INT")),
            ),
        ]
    )
    assert _repaired("SELECT `Unit Price` FROM `Order Details`", view) == (
        "SELECT Products.`Unit Price` FROM `Order Details` "
        "JOIN Products ON `Order Details`.`prod id` = Products.id"
    )


# Each of these once read another column, or a column of another table, than the query
# meant, or broke a query that ran: a join is added only where nothing else can change.
@pytest.mark.parametrize(
    ("view", "sql", "expected"),
    [
        (  # a correlated column of the outer query is pinned before the subquery gains a join
            CLINIC,
            "SELECT id FROM patients WHERE EXISTS (SELECT 1 FROM visits WHERE "
            "visits.patient_id = patients.id AND speciality = 'x' AND full_name LIKE 'p%')",
            "SELECT id FROM patients WHERE EXISTS (SELECT 1 FROM visits JOIN doctors ON "
            "visits.doctor_id = doctors.id WHERE visits.patient_id = patients.id AND "
            "doctors.speciality = 'x' AND patients.full_name LIKE 'p%')",
        ),
        (  # a table an outer join may leave out is joined the same way: its rows stay
            CLINIC,
            "SELECT p.full_name, speciality FROM patients p LEFT JOIN visits v "
            "ON v.patient_id = p.id",
            "SELECT p.full_name, doctors.speciality FROM patients AS p LEFT JOIN visits AS v "
            "ON v.patient_id = p.id LEFT JOIN doctors ON v.doctor_id = doctors.id",
        ),
        (
            CLINIC,
            "SELECT p.full_name, v.speciality FROM visits v RIGHT JOIN patients p "
            "ON v.patient_id = p.id",
            "SELECT p.full_name, doctors.speciality FROM visits AS v RIGHT JOIN patients AS p "
            "ON v.patient_id = p.id LEFT JOIN doctors ON v.doctor_id = doctors.id",
        ),
        (  # the kept side of an outer join: an inner join, as elsewhere
            CLINIC,
            "SELECT p.full_name, speciality FROM visits v LEFT JOIN patients p "
            "ON v.patient_id = p.id",
            "SELECT p.full_name, doctors.speciality FROM visits AS v LEFT JOIN patients AS p "
            "ON v.patient_id = p.id JOIN doctors ON v.doctor_id = doctors.id",
        ),
    ],
)
def test_a_join_is_added_without_changing_what_the_rest_reads(
    view: SchemaView, sql: str, expected: str
) -> None:
    assert _same(_repaired(sql, view), expected), _repaired(sql, view)


@pytest.mark.parametrize(
    "sql",
    [
        # SELECT * would gain the joined table's columns
        "SELECT * FROM visits WHERE speciality = 'x'",
        "SELECT * FROM (SELECT * FROM visits WHERE speciality = 'x') AS t",
        # the joined table's name is an alias of the outer query
        "SELECT full_name FROM patients AS doctors WHERE EXISTS (SELECT 1 FROM visits "
        "WHERE visits.patient_id = doctors.id AND speciality = 'x')",
        # USING merges `id`, which the joined table also has: `id` would become ambiguous
        "SELECT id, speciality FROM visits JOIN patients USING (id)",
        # full_name could be the doctor's or the patient's: joining doctors would decide it
        "SELECT fee, speciality, full_name FROM visits",
    ],
)
def test_a_join_that_would_change_other_columns_is_not_added(sql: str) -> None:
    checked = validate_sql(sql, view=CLINIC, dialect="mysql", policy=AccessPolicy())
    assert not checked.ok
    assert checked.sql.upper().count("JOIN") == sql.upper().count("JOIN")


def test_a_with_query_named_like_the_table_to_join_is_renamed_first() -> None:
    sql = "WITH doctors AS (SELECT 1 AS n) SELECT speciality, n FROM visits, doctors"
    checked = validate_sql(sql, view=CLINIC, dialect="mysql", policy=AccessPolicy())
    assert "doctors_cte" in checked.sql
    sql = "WITH doctors AS (SELECT 1 AS n) SELECT speciality FROM visits"
    checked = validate_sql(sql, view=CLINIC, dialect="mysql", policy=AccessPolicy())
    assert checked.ok
    assert _same(
        checked.sql,
        "WITH doctors_cte AS (SELECT 1 AS n) SELECT doctors.speciality FROM visits "
        "JOIN doctors ON visits.doctor_id = doctors.id",
    )


MIXED_CASE = SchemaView(
    [
        _table("Doctors", ["Id", "FullName", "Speciality"]),
        _table("Visits", ["Id", "DoctorId", "Fee"], ("DoctorId", "Doctors", "Id")),
    ]
)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            'SELECT "Speciality", "Fee" FROM "Visits"',
            'SELECT "Doctors"."Speciality", "Visits"."Fee" FROM "Visits" '
            'JOIN "Doctors" ON "Visits"."DoctorId" = "Doctors"."Id"',
        ),
        (  # an unquoted alias stays unquoted: PostgreSQL folds it to lower case
            'SELECT V."Speciality" FROM "Visits" AS V',
            'SELECT "Doctors"."Speciality" FROM "Visits" AS V '
            'JOIN "Doctors" ON V."DoctorId" = "Doctors"."Id"',
        ),
        (
            'SELECT COUNT(*) FROM "Visits" AS v JOIN "Doctors" AS d ON v."Doctor" = d."Id"',
            'SELECT COUNT(*) FROM "Visits" AS v JOIN "Doctors" AS d ON v."DoctorId" = d."Id"',
        ),
    ],
)
def test_postgresql_names_in_mixed_case_are_quoted(sql: str, expected: str) -> None:
    checked = validate_sql(sql, view=MIXED_CASE, dialect="postgres", policy=AccessPolicy())
    assert checked.ok and checked.repaired
    assert checked.sql == expected
