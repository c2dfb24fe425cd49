"""Embedded Qdrant from many threads: the app's sessions and the API's requests share one
client, and one thread's upsert must not break another's search (`vectorstore.client`)."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from qdrant_client import models

from vectorstore.client import MEMORY, open_qdrant

ROUNDS = 250


@pytest.mark.parametrize("where", ["memory", "folder"])
def test_searches_and_upserts_from_many_threads_never_fail(where: str, tmp_path: Path) -> None:
    client = open_qdrant(url=None, path=MEMORY if where == "memory" else str(tmp_path / "q"))
    params = models.VectorParams(size=8, distance=models.Distance.COSINE)
    client.create_collection("things", vectors_config=params)
    match_one = models.Filter(
        must=[models.FieldCondition(key="k", match=models.MatchValue(value=1))]
    )
    errors: list[str] = []

    def vector() -> list[float]:
        return [random.random() for _ in range(8)]

    def write(base: int) -> None:
        for i in range(ROUNDS):
            point = models.PointStruct(id=base * 100_000 + i, vector=vector(), payload={"k": i})
            try:
                client.upsert("things", [point])
            except Exception as exc:
                errors.append(repr(exc))

    def read() -> None:
        for _ in range(ROUNDS):
            try:
                client.query_points("things", query=vector(), limit=3, query_filter=match_one)
            except Exception as exc:
                errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert client.count("things").count == 3 * ROUNDS
    finally:
        client.close()
