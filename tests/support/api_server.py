"""A real uvicorn serving the HTTP API on a free port, in a thread of the test process.

In the test's process so that the test keeps its hands on what the API serves with (the
scripted model, the app database, the business database) and can break one of them;
over real sockets, so the client sees exactly what any client would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.app_server import free_port


@contextmanager
def serving(app: FastAPI, *, timeout_s: float = 20) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1; yield its base URL; stop it after."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
