"""`ApiJSONResponse`: JSON written straight with `json.dumps`, cells by `json_cell`.

FastAPI's default path walks every value through `jsonable_encoder` first, which is slow
for a thousand-row result and turns bytes into text it cannot always decode. Endpoints
return this response themselves, so that walk never happens; the response models still
document the shape at /docs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from backend.answer_json import json_cell


def dumps(content: Any) -> str:
    """`content` as JSON text (UTF-8 as is, no NaN)."""
    return json.dumps(
        content, default=json_cell, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


class ApiJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
