#!/usr/bin/env bash
# Starts the app container: index the business schema (incremental), then serve.
set -euo pipefail
keskinube index || echo "keskinube: indexing failed; the app starts anyway and can re-index from the admin page" >&2
exec keskinube serve --port 8501 --address 0.0.0.0
