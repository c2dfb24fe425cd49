"""Three invented schemas, one per naming style a customer database may have: CamelCase
(a lending library), legacy upper-case abbreviations (a utility's billing), snake_case (a
clinic). Shared by the schema check's tests; no public database's names."""

from __future__ import annotations

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.schema_view import SchemaView


def table(name: str, columns: list[str], *fks: tuple[str, str, str]) -> TableDoc:
    return TableDoc(
        name,
        tuple(ColumnDoc(c, "INT", primary_key=i == 0) for i, c in enumerate(columns)),
        foreign_keys=tuple(ForeignKey((col,), ref, (ref_col,)) for col, ref, ref_col in fks),
    )


LIBRARY = SchemaView(
    [
        table(
            "Members",
            ["MemberId", "FullName", "JoinedOn", "HomeBranchId"],
            ("HomeBranchId", "Branches", "BranchId"),
        ),
        table("Branches", ["BranchId", "BranchName", "City"]),
        table(
            "Loans",
            ["LoanId", "MemberId", "CopyId", "LoanedAt", "ReturnedAt"],
            ("MemberId", "Members", "MemberId"),
            ("CopyId", "Copies", "CopyId"),
        ),
        table(
            "Copies",
            ["CopyId", "TitleId", "BranchId"],
            ("TitleId", "Titles", "TitleId"),
            ("BranchId", "Branches", "BranchId"),
        ),
        table("Titles", ["TitleId", "TitleName", "Genre", "PublishedYear"]),
    ]
)
BILLING = SchemaView(
    [
        table("CUST_MST", ["CUST_NO", "CUST_NM", "STS_CD", "RGN_CD"]),
        table("MTR_MST", ["MTR_NO", "CUST_NO", "INST_DT"], ("CUST_NO", "CUST_MST", "CUST_NO")),
        table(
            "BILL_HDR",
            ["BILL_NO", "MTR_NO", "BILL_DT", "AMT_DUE", "STS_CD"],
            ("MTR_NO", "MTR_MST", "MTR_NO"),
        ),
        table("RGN_REF", ["RGN_CD", "RGN_DESC"]),
    ]
)
CLINIC = SchemaView(
    [
        table("patients", ["id", "full_name", "birth_date", "ssn"]),
        table("doctors", ["id", "full_name", "speciality"]),
        table(
            "visits",
            ["id", "patient_id", "doctor_id", "visited_at", "fee"],
            ("patient_id", "patients", "id"),
            ("doctor_id", "doctors", "id"),
        ),
    ]
)
