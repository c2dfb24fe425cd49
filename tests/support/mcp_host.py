"""The MCP endpoint hosted the way the API app hosts it, in a real uvicorn on a free port,
and the SDK's own client pointed at it with a bearer token."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
import httpx2
import uvicorn
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.support.app_server import free_port

T = TypeVar("T")


def hosted(mcp_app: Starlette, path: str = "/mcp") -> FastAPI:
    """A FastAPI app serving `mcp_app` at exactly `path`, its lifespan entered in the app's."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with mcp_app.router.lifespan_context(mcp_app):
            yield

    app = FastAPI(lifespan=lifespan)
    app.router.routes.append(Route(path, endpoint=mcp_app))
    return app


@contextmanager
def serving(app: ASGIApp, timeout_s: float = 20) -> Iterator[str]:
    """Run `app` in uvicorn on a thread; yield its base URL; stop it afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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
        thread.join(timeout=timeout_s)


@asynccontextmanager
async def mcp_client(
    url: str, token: str | None, *, language: str | None = None, mode: str = "auto"
) -> AsyncIterator[Client]:
    """The SDK's client on `url`, sending `token` (and Accept-Language) on every request."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if language is not None:
        headers["Accept-Language"] = language
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


def run_async(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`anyio.run(function, *args)` in a thread of its own, returning or raising what it
    did: the browser tests' Playwright (sync API) keeps an event loop running on the main
    thread for the whole session, and a second loop cannot run there."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = anyio.run(function, *args)
        except BaseException as exc:  # raised again on the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="test-async-client")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result
