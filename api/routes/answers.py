"""POST /v1/ask, /v1/ask/stream and /v1/sql: answers through the answer service of the
data source asked (`source`, else the conversation's, else the caller's default: see
`api.security.Caller.on`).

Each is audited with source "api" and, with `keep`, stored in the caller's conversation.
A model or business database that cannot be reached is 503 (the stream: an `error`
event); any other failure is an answer with `ok: false` and its `error` (see api.errors).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.errors import UNAVAILABLE, ApiError, ApiRoute, answer_error, failure_body
from api.json_response import ApiJSONResponse, dumps
from api.presenting import reply_body
from api.schemas import UNAVAILABLE_ERRORS, AnswerOut, AskIn, SqlIn
from api.security import Caller, CallerDep, OnSource
from backend.answer_service import Reply, StepListener
from backend.conversations import TurnKind

router = APIRouter(route_class=ApiRoute, prefix="/v1", tags=["answers"])

# Background answers of streams whose client went away: kept until they finish (stored
# and audited all the same), or asyncio could drop them half-way.
_RUNNING: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class Asking:
    """A question and where it goes, settled before any answering starts (so that a
    stream's refusal is an HTTP status, not an event)."""

    body: AskIn
    on: OnSource


def asking(body: AskIn, caller: CallerDep) -> Asking:
    return Asking(body=body, on=caller.on(body.source, body.conversation_id))


AskingDep = Annotated[Asking, Depends(asking)]


@router.post("/ask", response_model=AnswerOut, responses=UNAVAILABLE_ERRORS)
def ask(asked: AskingDep, caller: CallerDep) -> ApiJSONResponse:
    """Answer a question: SQL, rows, chart, summary, explanation, timings."""
    return ApiJSONResponse(_asked(caller, asked))


@router.post("/sql", response_model=AnswerOut, responses=UNAVAILABLE_ERRORS)
def run_sql(body: SqlIn, caller: CallerDep) -> ApiJSONResponse:
    """Run your own SELECT through the guard (your rules apply), as the chat's SQL editor."""
    on = caller.on(body.source, body.conversation_id)
    reply = on.door.answers.run_sql(
        on.actor,
        body.sql,
        source="api",
        conversation_id=body.conversation_id,
        keep=body.keep,
        language=caller.language,
    )
    return ApiJSONResponse(_answer(on, caller, reply, kind="sql"))


@router.post(
    "/ask/stream",
    response_class=EventSourceResponse,
    responses={**UNAVAILABLE_ERRORS, 200: {"description": "Server-sent events."}},
)
async def ask_stream(asked: AskingDep, caller: CallerDep) -> AsyncIterator[ServerSentEvent]:
    """Answer a question as server-sent events: one per step as it starts (`retrieve`,
    `generate`, `check`, `execute`; again for a retry; `candidate`, `chart`), then
    `answer` (the body of /v1/ask) or `error` (`{"error": {"code", "message"}}`)."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def post(event: str, data: Any) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (event, data))

    def work() -> None:
        try:
            answer = _asked(caller, asked, on_step=lambda step: post(step, {"step": step}))
            post("answer", answer)
        except Exception as exc:
            post("error", failure_body(exc, caller.language)[1])

    task = asyncio.create_task(run_in_threadpool(work))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    while True:
        event, data = await events.get()
        yield ServerSentEvent(event=event, raw_data=dumps(data))
        if event in {"answer", "error"}:
            return


def _asked(caller: Caller, asked: Asking, on_step: StepListener | None = None) -> dict[str, Any]:
    on, body = asked.on, asked.body
    reply = on.door.answers.ask(
        on.actor,
        body.question,
        source="api",
        conversation_id=body.conversation_id,
        keep=body.keep,
        language=caller.language,
        on_step=on_step,
    )
    return _answer(on, caller, reply, kind="question")


def _answer(on: OnSource, caller: Caller, reply: Reply, *, kind: TurnKind) -> dict[str, Any]:
    """The answer's body; raises 503 when the model or the database could not be reached."""
    error = answer_error(reply.answer, own_sql=kind == "sql")
    if error is not None and error[0] in UNAVAILABLE:
        code, message = error
        raise ApiError(503, code, message, headers={"Retry-After": "30"})
    return reply_body(on.door, caller, reply, kind=kind)
