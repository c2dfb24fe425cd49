"""Opening Qdrant: a server when a URL is configured, otherwise embedded local mode.

Embedded mode keeps its data in a folder that only one client may open at a time (even
within one process), so a CLI indexing run cannot share it with the running app. That
case is reported as `IndexBusy` with what to do about it, instead of qdrant-client's
`RuntimeError`.

Embedded mode is not safe to call from several threads at once: a search while another
thread upserts (the answer cache stores a question while another user's is looked up)
reads numpy arrays half-grown and fails (`IndexError`, shapes that do not broadcast). The
app's sessions and the API's requests are threads of one process, so the embedded client
takes its calls one at a time (`_OneAtATime`). A Qdrant server has no such limit.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any, cast

from qdrant_client import QdrantClient
from qdrant_client.client_base import QdrantBase

from backend.errors import IndexBusy, SettingsError
from vectorstore import local_sparse

MEMORY = ":memory:"


def _busy_message(path: str) -> str:
    return (
        f"the Qdrant folder {path} is in use by another Keskinube process (probably the "
        "running app) — stop it, index from the app's admin page, or set QDRANT_URL to use "
        "a Qdrant server"
    )


def open_qdrant(*, url: str | None, path: str | None, timeout_s: int = 30) -> QdrantClient:
    """A client for the server at `url`, else embedded at `path` (":memory:" allowed).

    Raises `IndexBusy` when another client holds the folder, `SettingsError` when neither
    is given. One embedded client per process: share it, and `close()` it when done.
    """
    if url:
        return QdrantClient(url=url, timeout=timeout_s)
    if not path:
        raise SettingsError("set QDRANT_URL (a Qdrant server) or QDRANT_PATH (a local folder)")
    local_sparse.install()  # embedded mode scores sparse vectors in Python: speed it up
    if path == MEMORY:
        return _one_at_a_time(QdrantClient(location=MEMORY))
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        return _one_at_a_time(QdrantClient(path=path))
    except RuntimeError as error:
        if "already accessed by another instance" in str(error):
            raise IndexBusy(_busy_message(path)) from error
        raise


def _one_at_a_time(client: QdrantClient) -> QdrantClient:
    """`client` with its embedded engine behind a lock (see module)."""
    # qdrant-client delegates every call to `_client` (its local engine here) and looks at
    # the engine's type only while it is being built.
    client._client = cast(QdrantBase, _OneAtATime(client._client))
    return client


class _OneAtATime:
    """Calls the wrapped object's methods one at a time (a re-entrant lock)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return value(*args, **kwargs)

        return locked
