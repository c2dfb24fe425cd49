"""The MCP endpoint: `ask`, `search_schema` and `list_sources` as tools for AI assistants
(the `mcp` SDK).

`build_mcp` returns an ASGI app that speaks MCP's streamable HTTP transport at `path`.
Every HTTP request must carry a personal API token (`Authorization: Bearer kk_…`); the
SDK's bearer middleware asks `TokenStore.authenticate` on each request, so a revoked or
expired token, or a disabled user, is refused at once: 401, the same bytes whatever was
wrong. A tool then answers as the token's user — role, table and column rules, row
filters (`PolicyStore.actor_for`, read afresh per call) — through the answer service of
the data source asked, audited with the source "mcp". The sources follow the HTTP API's
rules (`api.services.ApiServices`): `source`, else `main` when the user may use it, else
their only source; a source that does not exist and one the user may not use get the
same message.

The transport is stateless: each request stands alone, so several API processes can
serve one client and a token check is never skipped for a session opened earlier.

Hosting it in the FastAPI app (a route, not a `Mount`: a mount only matches `/mcp/…`, and
clients are pointed at `/mcp`), with its lifespan entered in the app's own::

    mcp_app = build_mcp(api_services, tokens)
    app.router.routes.append(Route("/mcp", endpoint=mcp_app))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with mcp_app.router.lifespan_context(mcp_app):
            yield
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

import anyio.to_thread
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field, PrivateAttr
from starlette.applications import Starlette

from api.mcp_results import (
    AskResult,
    SchemaResult,
    SourcesResult,
    ask_result,
    error_result,
    schema_result,
    sources_result,
)
from api.schemas import SOURCE_PATTERN
from api.services import default_among
from auth.users import User
from backend.answer_service import AnswerService
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.i18n import DEFAULT_LANGUAGE, normalise_language
from backend.sources import DataSource

MCP_PATH = "/mcp"
MAX_ROWS = 50  # rows of an answer in a tool result: enough to read, small for a model's context
QUESTION_LIMIT = 2000
SOURCE_HELP = (
    "The data source to ask (a name from `list_sources`). Leave it out for the default "
    "source, when there is one."
)
SourceArg = Annotated[str | None, Field(pattern=SOURCE_PATTERN, description=SOURCE_HELP)]
INSTRUCTIONS = (
    "Keskinube answers questions about the company's databases. Ask in plain language with "
    "`ask`: you get the SQL it ran, the first rows, a summary and what the SQL does. Use "
    "`search_schema` to find which tables and columns you may read. When there are several "
    "data sources, `list_sources` names them and says which one is the default; pass "
    "`source` to ask another. Every answer follows the access rules of the person whose "
    "token you use."
)
# Required by the SDK's auth settings, which also describe OAuth servers; this endpoint
# serves no OAuth routes and no resource metadata (Keskinube issues its own tokens), so
# the URL is never published or used.
_NO_ISSUER = "http://localhost"


class TokenUsers(Protocol):
    """Who a token belongs to (`auth.tokens.TokenStore`)."""

    def authenticate(self, secret: str | None) -> User | None: ...


class SourceDoors(Protocol):
    """The data sources a user may ask, the user as the engine sees them on one, and its
    answer service (`api.services.ApiServices`). `actor_on` and `answers_on` raise
    UnknownSource, `default_source` SourceRequired, each with its catalogue message."""

    def usable_sources(self, user: User) -> list[DataSource]: ...

    def default_source(self, user: User) -> str: ...

    def actor_on(
        self, user: User, source: str, *, default_language: str | None = None
    ) -> Actor: ...

    def answers_on(self, source: str) -> AnswerService: ...


class _Caller(AccessToken):
    """An accepted token and the user it acts as (kept out of every dump and repr)."""

    _user: User | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, secret: str, user: User) -> _Caller:
        # The username is the SDK's client identity: what it logs and compares.
        caller = cls(token=secret, client_id=user.username, subject=user.username, scopes=[])
        caller._user = user
        return caller

    @property
    def user(self) -> User:
        assert self._user is not None  # set by `of`, the only constructor used
        return self._user


class _TokenVerifier:
    """The SDK's `TokenVerifier` on Keskinube's API tokens."""

    def __init__(self, tokens: TokenUsers) -> None:
        self.tokens = tokens

    async def verify_token(self, token: str) -> AccessToken | None:
        user = await anyio.to_thread.run_sync(self.tokens.authenticate, token)
        return None if user is None else _Caller.of(token, user)


class _Tools:
    """The tools; each call answers as the user of its own request's token. The SDK runs
    them in worker threads, so the blocking answer service never stalls the event loop."""

    def __init__(self, doors: SourceDoors, *, max_rows: int) -> None:
        self.doors = doors
        self.max_rows = max_rows

    def ask(
        self,
        question: Annotated[
            str,
            Field(
                min_length=1,
                max_length=QUESTION_LIMIT,
                description="The question, in plain language (English or Spanish).",
            ),
        ],
        ctx: Context,
        source: SourceArg = None,
    ) -> Annotated[CallToolResult, AskResult]:
        """Answer a question about one of the company's databases: the SQL that ran, the
        first rows, a one-sentence summary and what the SQL does, under the caller's
        access rules. Each call is audited."""
        user, asked_language = self._user(ctx)
        language = _language(user, asked_language)
        try:
            actor, answers = self._on(user, source, asked_language)
            reply = answers.ask(actor, question, source="mcp", keep=False)
        except KeskinubeError as error:
            return error_result(error.render(language))
        return ask_result(reply, actor.language, max_rows=self.max_rows)

    def search_schema(
        self,
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=QUESTION_LIMIT,
                description="What to look for: a topic, a question, table or column words.",
            ),
        ],
        ctx: Context,
        k: Annotated[int, Field(ge=1, le=20, description="How many tables at most.")] = 5,
        source: SourceArg = None,
    ) -> Annotated[CallToolResult, SchemaResult]:
        """The tables the caller may read on a data source that best match `query`, with
        their descriptions and the columns the caller may see."""
        user, asked_language = self._user(ctx)
        language = _language(user, asked_language)
        try:
            actor, service = self._on(user, source, asked_language)
            retrieval = service.search_schema(actor, query, k=k)
            tables = service.engine.tables()
        except KeskinubeError as error:
            return error_result(error.render(language))
        return schema_result(query, retrieval, tables, actor.policy, actor.language)

    def list_sources(self, ctx: Context) -> Annotated[CallToolResult, SourcesResult]:
        """The data sources the caller may ask, with what is in each, and the one `ask`
        and `search_schema` use when no `source` is given."""
        user, asked_language = self._user(ctx)
        usable = self.doors.usable_sources(user)
        default = default_among([found.name for found in usable])
        language = _language(user, asked_language)
        return sources_result(usable, default, language, admin=user.is_admin)

    def _on(
        self, user: User, source: str | None, language: str | None
    ) -> tuple[Actor, AnswerService]:
        """The user on `source` (else their default) and its answer service, read now
        (role and rules included); SourceRequired or UnknownSource otherwise."""
        name = source if source is not None else self.doors.default_source(user)
        actor = self.doors.actor_on(user, name, default_language=language)
        return actor, self.doors.answers_on(name)

    def _user(self, ctx: Context) -> tuple[User, str | None]:
        """The token's user, and the language the request's Accept-Language prefers
        (the user's own choice outranks it: `_language`)."""
        request: Any = ctx.request_context.request
        scope = getattr(request, "scope", {})
        auth = scope.get("user")
        if not isinstance(auth, AuthenticatedUser) or not isinstance(auth.access_token, _Caller):
            # The bearer middleware refuses such a request before any tool runs.
            raise RuntimeError("MCP tool called without an accepted token")
        headers = getattr(request, "headers", {})
        return auth.access_token.user, preferred_language(headers.get("accept-language"))


def _language(user: User, asked: str | None) -> str:
    """As `PolicyStore.actor_for` chooses: the user's own, else the request's, else English."""
    return user.language or normalise_language(asked) or DEFAULT_LANGUAGE


def build_mcp(
    doors: SourceDoors,
    tokens: TokenUsers,
    *,
    path: str = MCP_PATH,
    max_rows: int = MAX_ROWS,
    transport_security: TransportSecuritySettings | None = None,
) -> Starlette:
    """The MCP endpoint at `path` as an ASGI app (see the module docstring to host it).

    `doors` gives the sources a user may ask and their answer services (each built on
    its first use); `tokens` checks bearer tokens.
    `transport_security` checks Host/Origin headers; none by default, since a request
    without a token is refused anyway (a page that rebinds a name to this server has
    no token to send).
    """
    server: MCPServer[Any] = MCPServer(
        "keskinube",
        title="Keskinube",
        instructions=INSTRUCTIONS,
        token_verifier=_TokenVerifier(tokens),
        auth=AuthSettings(issuer_url=_NO_ISSUER, resource_server_url=None),
    )
    tools = _Tools(doors, max_rows=max_rows)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(tools.ask, name="ask", title="Ask the database", annotations=read_only)
    server.add_tool(
        tools.search_schema, name="search_schema", title="Search the schema", annotations=read_only
    )
    server.add_tool(
        tools.list_sources,
        name="list_sources",
        title="List the data sources",
        annotations=read_only,
    )
    return server.streamable_http_app(
        streamable_http_path=path,
        stateless_http=True,
        transport_security=transport_security
        or TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )


def preferred_language(header: str | None) -> str | None:
    """The language Keskinube speaks that an Accept-Language header prefers most."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = normalise_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None
