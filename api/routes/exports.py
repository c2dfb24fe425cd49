"""POST /v1/export: the CSV of a query, as the chat's download writes it, streamed.

The query runs again through the guard, as the caller, on the data source asked
(`source`, else the caller's default), up to EXPORT_ROW_LIMIT rows and
EXPORT_MAX_BYTES (`AnswerService.export`, audited with source "export"), into a spooled
temporary file: in memory while small, on disk beyond `SPOOL_BYTES`. The response then
streams that file and closes it. A refusal (the guard, the database) is a JSON error
before any byte of CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from tempfile import SpooledTemporaryFile
from typing import IO

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, ApiRoute
from api.schemas import SOURCE_ERRORS, UNAVAILABLE_ERRORS, ErrorOut, ExportIn
from api.security import CallerDep
from backend.export import SPOOL_BYTES, ExportFailed, export_file_name
from backend.people_errors import for_people

router = APIRouter(route_class=ApiRoute, prefix="/v1", tags=["answers"])
CHUNK_BYTES = 64 * 1024


@router.post(
    "/export",
    response_class=StreamingResponse,
    responses={
        **SOURCE_ERRORS,
        503: UNAVAILABLE_ERRORS[503],
        200: {"content": {"text/csv": {}}, "description": "The CSV (UTF-8, with a BOM)."},
        400: {
            "model": ErrorOut,
            "description": "The guard or the database refused the SQL (`export_failed`, "
            "`timeout`), or no source was named and you have no default (`source_required`).",
        },
    },
)
async def export(body: ExportIn, caller: CallerDep) -> StreamingResponse:
    """The CSV of a query, streamed (Content-Disposition names the file after `question`)."""
    on = await run_in_threadpool(caller.on, body.source)
    out: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115 - closed by the stream
    try:
        await run_in_threadpool(
            on.door.answers.export,
            on.actor,
            body.sql,
            out,
            question=body.question,
            language=caller.language,
        )
    except ExportFailed as exc:
        out.close()
        raise _refusal(exc) from None
    except BaseException:
        out.close()
        raise
    out.seek(0)
    name = export_file_name(body.question)
    return StreamingResponse(
        _chunks(out),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _chunks(out: IO[bytes]) -> Iterator[bytes]:
    with out:
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


def _refusal(exc: ExportFailed) -> ApiError:
    """An unreachable database is 503 as for questions; any other refusal is 400 with the
    guard's or the database's sentence (about SQL the caller wrote)."""
    people = for_people(exc.message)
    if people.key == "people.database_down":
        return ApiError(503, "database_unavailable", people, headers={"Retry-After": "30"})
    if people.key == "people.timeout":
        return ApiError(400, "timeout", people)
    return ApiError(400, "export_failed", exc.message or str(exc))
