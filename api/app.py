"""`create_app`: the FastAPI application of the HTTP API, with the MCP endpoint at /mcp.

Given `ApiServices` (the CLI builds them before starting uvicorn, tests around their own
objects), it serves with those, and closes them at shutdown with `close_services` (the
CLI's: uvicorn ends the process with the signal that stopped it, so no code after it
would run); given only `Settings` (or nothing: `get_settings()`), it builds them at once
and closes them at shutdown. Either way they are built once per process and shared by
every request, of the HTTP API and of the MCP endpoint (`api.mcp_server`) alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from api.errors import install_error_handlers
from api.json_response import ApiJSONResponse
from api.mcp_server import MCP_PATH, build_mcp
from api.routes import answers, conversations, exports, health, schema, sources
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

**Data sources.** An install may answer on several business databases. `GET /v1/sources`
lists those you may ask; a request names one with `source`, else it goes to `main` when
you may use it, else to your only source (`400 source_required` when you have several
and none is the default). A source that does not exist and one you may not use are the
same `404 unknown_source`. A conversation stays on its source: continuing it with another
`source` is `409 conversation_source`.

**MCP.** AI assistants reach the tools `ask`, `search_schema` and `list_sources` at
`/mcp` (streamable HTTP), with the same tokens, the same rules and the same sources.

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
    """The API on `services`, or on services built now from `settings`."""
    if services is None:
        services, close_services = open_api_services(settings or get_settings()), True
    served = services
    mcp_app = build_mcp(served, served.tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.api = served
        try:
            async with mcp_app.router.lifespan_context(mcp_app):
                yield
        finally:
            if close_services:
                served.close()

    app = FastAPI(
        title="Keskinube API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=ApiJSONResponse,
    )
    app.state.default_language = served.settings.language
    install_error_handlers(app)
    for module in (sources, answers, exports, conversations, schema, health):
        app.include_router(module.router)
    # A route, not a mount: a mount matches only `/mcp/…`, and clients are given `/mcp`.
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp_app))
    return app
