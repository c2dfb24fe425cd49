"""The CSV writer of the export, fed by stand-in streams: chunk by chunk, defused, closed.

The database side (guard, runner, time limit) is in tests/integration/test_export.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator

import pandas as pd
import pytest

from backend.export import (
    BOM,
    FILE_NAME_WORDS_MAX,
    ExportFailed,
    bounded_csv,
    error_csv,
    export_file_name,
    write_csv,
)


class Recorder(io.BytesIO):
    """An output file that notes, at each write, how many chunks the stream had produced."""

    def __init__(self, produced: list[int]) -> None:
        super().__init__()
        self.produced = produced
        self.seen: list[int] = []

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.seen.append(len(self.produced))
        return super().write(data)


def chunks(
    frames: list[pd.DataFrame], produced: list[int], *, truncated: bool = False
) -> Generator[pd.DataFrame, None, bool]:
    for number, frame in enumerate(frames, start=1):
        produced.append(number)
        yield frame
    return truncated


def rows_of(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


def test_each_chunk_is_written_before_the_next_is_fetched() -> None:
    produced: list[int] = []
    frames = [pd.DataFrame({"n": range(start, start + 3)}) for start in (0, 3, 6)]
    out = Recorder(produced)
    columns, rows, truncated = write_csv(chunks(frames, produced, truncated=True), out)
    # header + rows of chunk 1 after chunk 1, rows of chunk 2 after chunk 2, ...
    assert out.seen == [1, 1, 2, 3]
    assert (rows, truncated, list(columns.columns), columns.empty) == (9, True, ["n"], True)
    assert rows_of(out.getvalue()) == [["n"], *[[str(n)] for n in range(9)]]


def test_formulas_in_cells_and_headers_are_defused() -> None:
    frame = pd.DataFrame(
        {
            "=cmd()": ["=1+1", "+x", "-y", "@z", "plain", None, "\tTab"],
            "n": [-1, 2, 3, 4, 5, 6, 7],
            "mixed": ["=a", 1, None, "ok", "@b", 2.5, "x"],
        }
    ).astype({"=cmd()": "string"})
    out = io.BytesIO()
    write_csv(chunks([frame], []), out)
    rows = rows_of(out.getvalue())
    assert rows[0] == ["'=cmd()", "n", "mixed"]
    assert [row[0] for row in rows[1:]] == ["'=1+1", "'+x", "'-y", "'@z", "plain", "", "'\tTab"]
    assert [row[1] for row in rows[1:]] == ["-1", "2", "3", "4", "5", "6", "7"]  # numbers kept
    assert [row[2] for row in rows[1:]] == ["'=a", "1", "", "ok", "'@b", "2.5", "x"]


def test_an_empty_result_is_a_header_with_a_bom() -> None:
    out = io.BytesIO()
    _, rows, truncated = write_csv(chunks([pd.DataFrame(columns=["a", "b"])], []), out)
    assert out.getvalue() == (BOM + '"a","b"\n').encode("utf-8")
    assert (rows, truncated) == (0, False)


def test_a_stream_without_frames_is_an_export_failure() -> None:
    with pytest.raises(ExportFailed, match="no result"):
        write_csv(chunks([], []), io.BytesIO())


def test_the_stream_is_closed_when_writing_fails() -> None:
    closed: list[bool] = []

    def stream() -> Generator[pd.DataFrame, None, bool]:
        try:
            yield pd.DataFrame({"n": [1]})
            yield pd.DataFrame({"n": [2]})
        finally:
            closed.append(True)  # the runner's cursor and connection are released here
        return False

    class Full(io.BytesIO):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_csv(stream(), Full())
    assert closed == [True]


# -- bytes (EXPORT_MAX_BYTES) -------------------------------------------------------------


def big_frames(count: int, rows: int = 100) -> list[pd.DataFrame]:
    return [
        pd.DataFrame(
            {
                "n": range(start, start + rows),
                "text": pd.Series([f"row {n} " + "x" * 90 for n in range(start, start + rows)]),
            }
        )
        for start in range(0, count * rows, rows)
    ]


@pytest.mark.parametrize("max_bytes", [4_096, 10_000, 25_123, 60_000])
@pytest.mark.parametrize("language", ["en", "es"])
def test_an_export_is_cut_after_whole_rows_within_the_byte_cap(
    max_bytes: int, language: str
) -> None:
    produced: list[int] = []
    out = io.BytesIO()
    _, rows, truncated = write_csv(
        chunks(big_frames(20), produced), out, max_bytes=max_bytes, language=language
    )
    data = out.getvalue()
    body, last = data.rsplit(b"\n", 2)[0] + b"\n", rows_of(data)[-1]
    assert len(body) <= max_bytes < len(body) + 110  # the next row would not have fit
    assert truncated and 0 < rows < 2_000
    assert len(produced) < 20  # the stream was closed, not read to its end
    table = rows_of(data)
    assert table[0] == ["n", "text"] and len(table) == rows + 2
    assert [int(row[0]) for row in table[1:-1]] == list(range(rows))  # whole rows, in order
    assert len(last) == 1 and "EXPORT_MAX_BYTES" in last[0]
    assert f"{rows:,}".replace(",", "." if language == "es" else ",") in last[0]
    assert last[0].startswith("Export cut at" if language == "en" else "Exportación cortada")


def test_an_export_within_the_byte_cap_is_whole_and_has_no_note() -> None:
    out, capped = io.BytesIO(), io.BytesIO()
    write_csv(chunks(big_frames(3), []), out)
    _, rows, truncated = write_csv(chunks(big_frames(3), []), capped, max_bytes=len(out.getvalue()))
    assert capped.getvalue() == out.getvalue()
    assert (rows, truncated) == (300, False)


def test_a_first_row_bigger_than_the_cap_leaves_the_header_and_the_note() -> None:
    frame = pd.DataFrame({"blob": pd.Series(["y" * 10_000], dtype="string")})
    out = io.BytesIO()
    _, rows, truncated = write_csv(chunks([frame], []), out, max_bytes=4_096)
    table = rows_of(out.getvalue())
    assert (rows, truncated, table[0]) == (0, True, ["blob"])
    assert len(table) == 2 and "EXPORT_MAX_BYTES" in table[1][0]


@pytest.mark.parametrize("max_bytes", [4_096, 5_000, 9_999])
def test_the_audit_export_is_cut_the_same_way(max_bytes: int) -> None:
    lines = ['"id","question"\r\n"1","a"\r\n'] + [f'"{n}","{"q" * 50}"\r\n' for n in range(2, 500)]
    data = bounded_csv(iter(lines), max_bytes=max_bytes)
    body, note = data.rsplit(b"\r\n", 2)[0] + b"\r\n", data.rsplit(b"\r\n", 2)[1]
    assert len(body) <= max_bytes < len(body) + 60
    assert body.decode().endswith("\r\n") and b"EXPORT_MAX_BYTES" in note
    assert bounded_csv(iter(lines[:3]), max_bytes=max_bytes) == "".join(lines[:3]).encode()


def test_a_header_bigger_than_the_cap_is_kept_with_no_rows_and_the_note() -> None:
    frame = pd.DataFrame({"c" * 5_000: [1, 2]})
    out = io.BytesIO()
    _, rows, truncated = write_csv(chunks([frame], []), out, max_bytes=4_096)
    table = rows_of(out.getvalue())
    assert (rows, truncated, len(table)) == (0, True, 2)
    assert "EXPORT_MAX_BYTES" in table[1][0]


@pytest.mark.parametrize("message", ["Unknown column '=cmd'", '=HYPERLINK("x")', "a;=1+1"])
def test_an_export_error_is_a_neutralised_csv(message: str) -> None:
    rows = list(csv.reader(io.StringIO(error_csv(message).decode())))
    assert rows[0] == ["error"] and rows[1][0].replace("'", "") == message.replace("'", "")
    assert not rows[1][0].startswith("=") and ";=" not in rows[1][0]


def test_the_csv_file_name_keeps_whole_words() -> None:
    question = "Which customers haven't ordered anything since the start of 2026, by region?"
    name = export_file_name(question)
    assert name == "keskinube-which-customers-havent-ordered-anything-since-the.csv"
    assert len(name.removeprefix("keskinube-").removesuffix(".csv")) <= FILE_NAME_WORDS_MAX
    assert export_file_name("¿Cuántos pedidos hay?") == "keskinube-cuantos-pedidos-hay.csv"
    assert export_file_name("") == "keskinube-result.csv"
    assert export_file_name("x" * 80) == f"keskinube-{'x' * 50}.csv"
