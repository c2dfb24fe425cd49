"""Renders `docker/mysql/readonly_user.sql.in`: the SELECT-only account Keskinube reads with.

The mysql image's init script does the same substitution in bash; tests and operators
setting up their own server use this function. Placeholders: `{{user}}`, `{{host}}`,
`{{password}}` (inside single quotes) and `{{database}}` (inside backquotes).
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "docker" / "mysql" / "readonly_user.sql.in"
READONLY_USER = "keskinube_ro"


def _string(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "''")


def render_readonly_user_sql(
    template: str,
    *,
    database: str,
    password: str,
    user: str = READONLY_USER,
    host: str = "%",
) -> list[str]:
    """The template's statements with the values filled in and escaped, comments dropped.

    The template is split into statements before substituting, so a `;` in the password
    is harmless.
    """
    lines = [line for line in template.splitlines() if not line.lstrip().startswith("--")]
    values = {
        "{{user}}": _string(user),
        "{{host}}": _string(host),
        "{{password}}": _string(password),
        "{{database}}": database.replace("`", "``"),
    }
    statements = []
    for statement in "\n".join(lines).split(";"):
        for placeholder, value in values.items():
            statement = statement.replace(placeholder, value)
        if statement.strip():
            statements.append(statement.strip())
    return statements
