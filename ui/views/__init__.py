"""One page per task; each is a short script that calls backend/auth and renders."""
