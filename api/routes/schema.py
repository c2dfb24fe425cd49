"""GET /v1/schema/search: the tables you may read on a data source that best match some
words (no model)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.errors import ApiRoute
from api.json_response import ApiJSONResponse
from api.schemas import (
    QUESTION_MAX,
    SOURCE_ERRORS,
    SOURCE_HELP,
    SOURCE_PATTERN,
    SchemaSearchOut,
)
from api.security import CallerDep

router = APIRouter(route_class=ApiRoute, prefix="/v1/schema", tags=["schema"])


@router.get("/search", response_model=SchemaSearchOut, responses=SOURCE_ERRORS)
def search_schema(
    caller: CallerDep,
    q: Annotated[str, Query(min_length=1, max_length=QUESTION_MAX, description="Words.")],
    k: Annotated[int, Query(ge=1, le=50, description="How many tables.")] = 5,
    source: Annotated[str | None, Query(pattern=SOURCE_PATTERN, description=SOURCE_HELP)] = None,
) -> ApiJSONResponse:
    """The tables your role may read on a source that best match `q`, ranked as for a
    question (hybrid dense + keyword search; each score is the search's own)."""
    on = caller.on(source)
    found = on.door.answers.search_schema(on.actor, q, k=k)
    tables = [{"name": t.name, "score": round(t.score, 6)} for t in found.tables]
    return ApiJSONResponse({"tables": tables, "mode": found.mode, "source": on.source})
