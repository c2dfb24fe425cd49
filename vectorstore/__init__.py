"""Schema, example and note collections in Qdrant, with hybrid (dense + sparse) search."""
