"""Test doubles shared by the tests and the benchmarks; never imported by the product.

- `testkit.scripted_ollama`: `ScriptedOllama`, a real HTTP server speaking Ollama's
  protocol with scripted answers, so the product's real client code runs unchanged.
- `testkit.stubs`: stand-ins for the engine's ports on paths that must never retrieve or
  ask the model (`TablesInMemory`, `SilentModel`).
"""
