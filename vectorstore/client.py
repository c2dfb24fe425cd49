"""Opening Qdrant: a server when a URL is configured, otherwise embedded local mode.

Embedded mode keeps its data in a folder that only one client may open at a time (even
within one process), so a CLI indexing run cannot share it with the running app. That
case is reported as `IndexBusy` with what to do about it, instead of qdrant-client's
`RuntimeError`.
"""

from __future__ import annotations

from pathlib import Path

from qdrant_client import QdrantClient

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
        return QdrantClient(location=MEMORY)
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        return QdrantClient(path=path)
    except RuntimeError as error:
        if "already accessed by another instance" in str(error):
            raise IndexBusy(_busy_message(path)) from error
        raise
