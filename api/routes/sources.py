"""GET /v1/sources: the data sources the caller may ask, and the one a request without
`source` goes to.

Names, kinds and the admin's descriptions only: where a database is (host, port, file)
is for admins, and nobody sees a user name or a password. Sources the caller may not use
are not listed at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.errors import ApiRoute
from api.json_response import ApiJSONResponse
from api.schemas import TOKEN_ERRORS, SourceList
from api.security import CallerDep
from api.services import default_among
from backend.sources import DataSource

router = APIRouter(route_class=ApiRoute, prefix="/v1", tags=["sources"])


@router.get("/sources", response_model=SourceList, responses=TOKEN_ERRORS)
def list_sources(caller: CallerDep) -> ApiJSONResponse:
    """The data sources you may ask, `main` first; `default` is where a request that
    names none goes (null: name one in each request)."""
    user = caller.user
    usable = caller.api.usable_sources(user)
    default = default_among([source.name for source in usable])
    sources = [source_body(source, admin=user.is_admin) for source in usable]
    return ApiJSONResponse({"sources": sources, "default": default})


def source_body(source: DataSource, *, admin: bool) -> dict[str, Any]:
    """One source as a caller sees it (`where` for admins only)."""
    return {
        "name": source.name,
        "kind": source.kind,
        "description": source.description or None,
        "where": source.where() if admin else None,
    }
