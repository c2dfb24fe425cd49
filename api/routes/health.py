"""GET /v1/health: whether the business database, the model and Qdrant answer.

No token needed (a load balancer or a container's health check calls it), so it says
only yes or no per service: no host, no version, no error text. 200 when all answer,
503 otherwise. Checked at most once per `HEALTH_TTL_S`, whoever calls.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.errors import ApiRoute
from api.json_response import ApiJSONResponse
from api.schemas import HealthOut
from api.security import api_of

router = APIRouter(route_class=ApiRoute, prefix="/v1", tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(request: Request) -> ApiJSONResponse:
    """Reachability of the services behind the API."""
    found = api_of(request).health.get()
    body = {
        "ok": found.ok,
        "database": found.database,
        "model": found.model,
        "vectors": found.vectors,
    }
    return ApiJSONResponse(body, status_code=200 if found.ok else 503)
