#!/usr/bin/env bash
# Starts the app container: index the business schema (incremental), then serve.
set -euo pipefail
keskinube index || echo "keskinube: indexing failed; the app starts anyway and can re-index from the admin page" >&2
exec streamlit run ui/app.py --server.port 8501 --server.address 0.0.0.0 --server.headless true
