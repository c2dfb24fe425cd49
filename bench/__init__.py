"""Benchmarks of Keskinube's engine: overhead, prompt size, indexing and retrieval.

Run one with `python -m bench <name>` (see `bench/__main__.py`); each prints its figures
and writes them to `bench/results/<name>.json` plus a short `<name>.md`. They are not
tests and do not run in CI.
"""
