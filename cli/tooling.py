"""The CLI's check for the tooling packages that live outside the product.

`keskinube eval` runs the top-level `evaluation` package and `keskinube demo-db` runs
`demo_data`. Both are installed from a source checkout, but the app's container image
holds only what the app runs; there the commands say so in one line, not a traceback.
"""

from __future__ import annotations

import importlib.util

from backend.errors import KeskinubeError
from backend.i18n.message import Message


class ToolingMissing(KeskinubeError):
    """A command needs a tooling package that this installation leaves out."""


def require_tooling(package: str, *, command: str) -> None:
    """Raise `ToolingMissing` unless the top-level `package` can be imported."""
    if importlib.util.find_spec(package) is None:
        raise ToolingMissing(Message.of("cli.tooling_missing", command=command, package=package))
