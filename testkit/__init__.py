"""Test doubles shared by the tests and the benchmarks; never imported by the product.

- `testkit.scripted_ollama`: `ScriptedOllama`, a real HTTP server speaking Ollama's
  protocol with scripted answers, so the product's real client code runs unchanged.
"""
