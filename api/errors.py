"""Every error the API returns is JSON: `{"error": {"code": ..., "message": ...}}`.

`code` is stable, for programs to branch on; `message` is the catalogue's sentence in the
caller's language (`Accept-Language`), for people. Nothing else leaves the server: no
stack trace, no host, no database text (those go to the log). A bad or missing token is
the one exception: 401 with `{"error": {"code": "unauthorized"}}` and nothing more.

Answers that could not be given are not errors of the request: /v1/ask and /v1/sql answer
200 with `ok: false` and the same `error` object (`answer_error`), as the chat page says
it. Only a model or business database that cannot be reached makes them 503, so that a
client retries later (`UNAVAILABLE`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from api.json_response import ApiJSONResponse
from api.language import accepted_language
from backend.conversations import ConversationNotFound
from backend.domain import Answer
from backend.errors import KeskinubeError
from backend.i18n import DEFAULT_LANGUAGE, Message
from backend.people_errors import for_people
from backend.sources import UnknownSource

log = logging.getLogger(__name__)

UNAUTHORIZED = {"error": {"code": "unauthorized"}}
# A people's message key → the code a program branches on.
_PEOPLE_CODES = {
    "people.restricted": "restricted",
    "people.timeout": "timeout",
    "people.database_down": "database_unavailable",
    "people.model_down": "model_unavailable",
    "people.not_indexed": "not_indexed",
    "people.no_query": "no_query",
    "people.failed": "failed",
    "engine.ask.empty": "empty_question",
    "guard.rule.attribute_missing": "attribute_missing",
}
# Codes that make /v1/ask and /v1/sql answer 503 rather than 200 with ok=false.
UNAVAILABLE = frozenset({"database_unavailable", "model_unavailable"})


class ApiError(Exception):
    """An error response: HTTP `status`, stable `code`, and the sentence for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Message | str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_body(code: str, message: Message | str | None, language: str) -> dict[str, Any]:
    text = message.render(language) if isinstance(message, Message) else message
    return {"error": {"code": code, "message": text}}


def answer_error(answer: Answer, *, own_sql: bool) -> tuple[str, Message | str] | None:
    """The `(code, message)` of an answer that could not be given; None when it was.

    A question's error is told as the chat page tells it (`for_people`); own SQL keeps
    the guard's or the database's own sentence, which is about the SQL the caller wrote.
    """
    if answer.ok:
        return None
    people = for_people(answer.error_message)
    code = _PEOPLE_CODES.get(people.key, "failed")
    if not own_sql or code in UNAVAILABLE or code == "timeout":
        return code, people
    last = answer.attempts[-1] if answer.attempts else None
    own_code = "sql_rejected" if last is not None and last.stage == "check" else "sql_failed"
    return own_code, answer.error_message or answer.error or people


def request_language(request: Request) -> str:
    """The language the request is answered in: what the caller's token resolved to, else
    its `Accept-Language`, else the server's default."""
    chosen = getattr(request.state, "language", None)
    if isinstance(chosen, str):
        return chosen
    default = getattr(request.app.state, "default_language", None)
    return accepted_language(request.headers.get("accept-language")) or default or DEFAULT_LANGUAGE


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the JSON error shape (see module)."""

    async def api_error(request: Request, exc: Exception) -> ApiJSONResponse:
        assert isinstance(exc, ApiError)
        if exc.code == "unauthorized":
            return ApiJSONResponse(UNAUTHORIZED, status_code=exc.status, headers=exc.headers)
        body = error_body(exc.code, exc.message, request_language(request))
        return ApiJSONResponse(body, status_code=exc.status, headers=exc.headers)

    async def invalid(request: Request, exc: Exception) -> ApiJSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = sorted({_field(error) for error in exc.errors()})
        message = Message.of("api.error.invalid_request", fields=", ".join(fields))
        body = error_body("invalid_request", message, request_language(request))
        body["error"]["fields"] = fields
        return ApiJSONResponse(body, status_code=422)

    async def http_error(request: Request, exc: Exception) -> ApiJSONResponse:
        assert isinstance(exc, HTTPException)
        code, key = {
            404: ("not_found", "api.error.not_found"),
            405: ("method_not_allowed", "api.error.method_not_allowed"),
        }.get(exc.status_code, ("failed", "people.failed"))
        body = error_body(code, Message.of(key), request_language(request))
        return ApiJSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def failure(request: Request, exc: Exception) -> ApiJSONResponse:
        status, body = failure_body(exc, request_language(request))
        return ApiJSONResponse(body, status_code=status)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(KeskinubeError, failure)
    app.add_exception_handler(Exception, failure)


class ApiRoute(APIRoute):
    """A route that answers an unexpected exception itself (500, JSON). Left to Starlette's
    outermost handler, the error would be answered and then raised again, and uvicorn
    drops the connection: a client's next request on it fails with a reset."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (HTTPException, RequestValidationError, ApiError, KeskinubeError):
                raise  # answered by their own handlers (`install_error_handlers`)
            except Exception as exc:
                status, body = failure_body(exc, request_language(request))
                return ApiJSONResponse(body, status_code=status)

        return guarded


def failure_body(exc: Exception, language: str) -> tuple[int, dict[str, Any]]:
    """The status and body of an exception that is not an `ApiError` (the handlers', and
    a stream's `error` event): a conversation of someone else's, or a source the caller
    cannot use, is 404; any other
    `KeskinubeError` says what it says (400); anything else is logged, and 500."""
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.code, exc.message, language)
    if isinstance(exc, ConversationNotFound):
        return 404, error_body("not_found", exc.message, language)
    if isinstance(exc, UnknownSource):  # never the name: see `api.security`
        return 404, error_body("unknown_source", Message.of("api.error.unknown_source"), language)
    if isinstance(exc, KeskinubeError):
        log.info("request refused: %s", exc)
        return 400, error_body("failed", exc.message or str(exc), language)
    log.error("unexpected error answering a request", exc_info=exc)
    return 500, error_body("internal", Message.of("api.error.internal"), language)


def _field(error: Any) -> str:
    """'question' for a body field, 'k' for a query parameter: the location less its kind."""
    location = [str(part) for part in error.get("loc", ()) if part not in {"body", "query"}]
    return ".".join(location) or "body"
