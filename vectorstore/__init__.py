"""Schema, example and note collections in Qdrant, with hybrid (dense + sparse) search.

- `client.open_qdrant`: a server client, or embedded local mode (`IndexBusy` when taken).
- `store.QdrantSchemaStore`: index/search tables, examples and notes per database.
- `collection.HybridCollection`: one collection; incremental sync and RRF-fused search.
- `writer`: `Item`, `IndexStats` and the batching point writer.
- `documents`: tables, columns, examples and notes as points (deterministic ids).
- `sparse`: local BM25-style sparse vectors (Qdrant applies IDF).
- `cache`: the semantic answer cache.
"""
