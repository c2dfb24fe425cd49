"""The chat model's name and digest for the run records (`backend.monitoring.runs.ModelVersion`).

The digest says which weights answered: a model pulled again under the same name gets a
new one. Ollama tells it only in its model list (`/api/tags`), so it is asked at most once
per `ttl_s` (and never twice at a time) rather than once a question; an unreachable
server or a model it lacks gives None until the next ask. A re-pull shows in the records
within `ttl_s`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from backend.adapters.ollama import check_ollama

DIGEST_TTL_S = 600.0
_TIMEOUT_S = 2.0


class OllamaModelVersion:
    """`name` as configured; `digest()` from Ollama's model list, kept `ttl_s` seconds."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        ttl_s: float = DIGEST_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._digest: str | None = None
        self._asked_at: float | None = None

    @property
    def name(self) -> str:
        return self.model

    def digest(self) -> str | None:
        with self._lock:
            now = self.clock()
            if self._asked_at is None or now - self._asked_at >= self.ttl_s:
                found = check_ollama(
                    base_url=self.base_url, models=[self.model], timeout_s=_TIMEOUT_S
                )
                self._digest, self._asked_at = found.digests.get(self.model), now
            return self._digest
