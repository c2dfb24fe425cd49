"""GET /v1/schema/search: the tables you may read that best match some words (no model)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.errors import ApiRoute
from api.json_response import ApiJSONResponse
from api.schemas import QUESTION_MAX, TOKEN_ERRORS, SchemaSearchOut
from api.security import CallerDep, api_of

router = APIRouter(route_class=ApiRoute, prefix="/v1/schema", tags=["schema"])


@router.get("/search", response_model=SchemaSearchOut, responses=TOKEN_ERRORS)
def search_schema(
    request: Request,
    caller: CallerDep,
    q: Annotated[str, Query(min_length=1, max_length=QUESTION_MAX, description="Words.")],
    k: Annotated[int, Query(ge=1, le=50, description="How many tables.")] = 5,
) -> ApiJSONResponse:
    """Hybrid (dense + keyword) search over the tables your role may read."""
    found = api_of(request).answers.search_schema(caller.actor, q, k=k)
    tables = [{"name": t.name, "score": round(t.score, 6)} for t in found.tables]
    return ApiJSONResponse({"tables": tables, "mode": found.mode})
