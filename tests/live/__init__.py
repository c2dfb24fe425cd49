"""The `live_llm` tier: tests against a real model over Ollama's API (see conftest.py)."""
