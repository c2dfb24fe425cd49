"""`create_app`: the FastAPI application of the HTTP API.

Given `ApiServices` (the CLI builds them before starting uvicorn, tests around their own
objects), it serves with those, and closes them at shutdown with `close_services` (the
CLI's: uvicorn ends the process with the signal that stopped it, so no code after it
would run); given only `Settings` (or nothing: `get_settings()`), it builds them at
start-up and closes them at shutdown. Either way they are built once per process and
shared by every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.json_response import ApiJSONResponse
from api.routes import answers, conversations, exports, health, schema
from api.services import ApiServices, open_api_services
from backend.config import Settings, get_settings

DESCRIPTION = """
Ask your database from your own tools: the answers of the Keskinube web app (SQL, rows,
chart, summary), under the same access rules, audited the same way.

**Authentication.** Every route but `/v1/health` needs a personal API token:
`Authorization: Bearer kk_…`. Create one on your profile page (or `keskinube tokens
create`); it acts as you — your role, table and column rules, row filters — until it
expires or is revoked. A missing, unknown, revoked or expired token, or a disabled
account, is `401 {"error": {"code": "unauthorized"}}`, with no more detail.

**Rate limit.** Each token may make `API_RATE_LIMIT` requests (a moving window); past it,
`429` with `Retry-After` (seconds).

**Errors** are `{"error": {"code", "message"}}`: `code` is stable, `message` is written
in the language of `Accept-Language` (English or Spanish). A question that could not be
answered is not an error of the request: `200` with `ok: false` and `error`. When the model or the
business database cannot be reached: `503` (`model_unavailable`, `database_unavailable`).
"""


def create_app(
    settings: Settings | None = None,
    *,
    services: ApiServices | None = None,
    close_services: bool = False,
) -> FastAPI:
    """The API on `services`, or on services built from `settings` at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            app.state.api = services
            try:
                yield
            finally:
                if close_services:
                    services.close()
            return
        built = open_api_services(settings or get_settings())
        app.state.api = built
        try:
            yield
        finally:
            built.close()

    app = FastAPI(
        title="Keskinube API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=ApiJSONResponse,
    )
    chosen = services.settings if services is not None else settings
    app.state.default_language = chosen.language if chosen is not None else None
    install_error_handlers(app)
    for module in (answers, exports, conversations, schema, health):
        app.include_router(module.router)
    return app
