"""Counting prompt tokens the same way for every pipeline.

Two counts of the same text (the concatenated message contents a chat request carried):

- `qwen`: the real Qwen2.5 tokenizer, through the `/tokenize` endpoint of the llama.cpp
  server that `../shared/llm/start.sh` runs (port 18090); absent when it is not up.
- `estimate`: `backend.prompts.estimate_tokens` (words / 4 + digits + punctuation,
  calibrated on Qwen2.5), the product's own conservative budget estimate — always available.

Chat-template tokens (role markers, a few per message) are not included in either.
"""

from __future__ import annotations

import httpx

from backend.prompts import estimate_tokens

DEFAULT_TOKENIZER_URL = "http://127.0.0.1:18090"


class TokenCounter:
    """Counts tokens with the Qwen2.5 tokenizer when reachable, else estimates only."""

    def __init__(self, url: str | None = DEFAULT_TOKENIZER_URL, timeout_s: float = 60.0) -> None:
        self.url = url.rstrip("/") if url else None
        self._client = httpx.Client(timeout=timeout_s) if url else None
        self.available = self._probe()

    def _probe(self) -> bool:
        try:
            return self.qwen("SELECT 1") is not None
        except httpx.HTTPError:
            return False

    def qwen(self, text: str) -> int | None:
        if self._client is None or self.url is None:
            return None
        response = self._client.post(f"{self.url}/tokenize", json={"content": text})
        response.raise_for_status()
        tokens = response.json().get("tokens")
        return len(tokens) if isinstance(tokens, list) else None

    def count(self, text: str) -> dict[str, int | None]:
        return {
            "qwen": self.qwen(text) if self.available else None,
            "estimate": estimate_tokens(text),
        }

    @property
    def description(self) -> str:
        if self.available:
            return (
                f"Qwen2.5 tokenizer (llama.cpp /tokenize at {self.url}); estimate = "
                "`backend.prompts.estimate_tokens`"
            )
        return "estimate only (backend.prompts.estimate_tokens): tokenizer not reachable"
