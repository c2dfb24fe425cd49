"""The evaluation harness: golden question sets, execution-accuracy scoring, eval runs.

- `sets`: load our JSONL sets and Spider-style JSON/JSONL sets, hash them, pick questions.
- `values` / `scoring` / `ordering`: compare a predicted result with the gold result.
- `gold`: run a gold query and learn how its rows are ordered.
- `runner`: ask every question through the engine (and optionally a baseline) and score it.
- `session`: one run start to report, for `keskinube eval` and the CI's real-model gate.
- `summary` / `report`: totals, the terminal table, the JSON file.
- `provenance`: what produced the scores (model digests, prompt fingerprint, settings).
- `tracking` / `comparison`: every run logged to MLflow; the last runs side by side.

`keskinube eval` (cli.eval_cmd) is the command-line entry point; the benchmarks
(bench/) use it too. Tooling, not product: it drives the engine from outside, so it imports
`backend` and nothing in the product imports it (tests/unit/test_imports.py), and the app's
container image leaves it out.
"""
