"""The HTTP API: Keskinube's answers for other programs (FastAPI, served by uvicorn).

`keskinube api` serves it; /docs describes every route. Small modules, one job each:
`app` (the application), `services` (what it serves with, composed once), `security`
(token → user → actor, rate limit), `errors` (the JSON error shape), `presenting` (an
answer as JSON), `routes/` (one module per group of routes). The answers themselves come
from `backend.answer_service`: the API adds no step of its own to them.
"""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
