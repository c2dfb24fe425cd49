"""What a MySQL/MariaDB account may do besides reading, from `SHOW GRANTS`.

Each line of `SHOW GRANTS FOR CURRENT_USER()` is read with a small scanner rather than a
regular expression over the whole line: privilege lists carry column lists in parentheses
(`INSERT (`a`, `b`)`) and quoted names may hold spaces, commas or the word ON. What is
kept is the privilege text and the target as the server wrote them, never the rest of
the line (MariaDB appends `IDENTIFIED BY PASSWORD '*hash'`).
"""

from __future__ import annotations

from dataclasses import dataclass

# What a read-only account needs, and USAGE ("no privilege").
READ_PRIVILEGES = frozenset({"SELECT", "SHOW VIEW", "USAGE"})
_GRANT_OPTION = "GRANT OPTION"


@dataclass(frozen=True)
class Grant:
    """One `GRANT` line: its privileges (or roles, for a role grant) and their target.

    `target` is empty for a role grant (`GRANT `reader` TO …`)."""

    privileges: tuple[str, ...]
    target: str
    grant_option: bool = False

    @property
    def is_role(self) -> bool:
        return not self.target

    @property
    def beyond_reading(self) -> tuple[str, ...]:
        """The privileges that are more than reading, as written, GRANT OPTION included."""
        if self.is_role:
            return self.privileges
        extra = tuple(p for p in self.privileges if privilege_name(p) not in READ_PRIVILEGES)
        return (*extra, _GRANT_OPTION) if self.grant_option else extra


def privilege_name(privilege: str) -> str:
    """`INSERT (`a`)` → `INSERT`; spaces normalised, upper-case."""
    return " ".join(privilege.split("(", 1)[0].split()).upper()


def parse_grant(line: str) -> Grant | None:
    """The privileges and target of one `SHOW GRANTS` line; None for other lines
    (MySQL 8's partial `REVOKE` lines, anything unexpected)."""
    text = line.strip()
    if not text.upper().startswith("GRANT "):
        return None
    words = _split_top_level(text[len("GRANT ") :])
    upper = [word.upper() for word in words]
    if "TO" not in upper:
        return None
    to = upper.index("TO")
    grant_option = "WITH" in upper[to:] and "GRANT" in upper[to:]
    if "ON" not in upper[:to]:  # a role grant: GRANT `role` TO `user`@`host`
        return Grant(privileges=tuple(_commas(" ".join(words[:to]))), target="")
    on = upper.index("ON")
    return Grant(
        privileges=tuple(_commas(" ".join(words[:on]))),
        target=" ".join(words[on + 1 : to]),
        grant_option=grant_option,
    )


def write_privileges(grants: list[Grant]) -> tuple[str, ...]:
    """`INSERT, UPDATE ON `shop`.*`, `role `admins`` … one entry per grant line."""
    found: list[str] = []
    for grant in grants:
        extra = grant.beyond_reading
        if not extra:
            continue
        if grant.is_role:
            found += [f"role {role}" for role in extra]
        else:
            found.append(f"{', '.join(extra)} ON {grant.target}")
    return tuple(found)


def advice(grants: list[Grant], *, account: str, database: str) -> str:
    """The statements that leave `account` ('user'@'host') able to read `database` only,
    and the alternative of a dedicated account."""
    revokes = []
    for grant in grants:
        extra = grant.beyond_reading
        if not extra:
            continue
        if grant.is_role:
            revokes += [f"REVOKE {role} FROM {account};" for role in extra]
        else:
            revokes.append(f"REVOKE {', '.join(extra)} ON {grant.target} FROM {account};")
    if not revokes:
        return ""
    target = f"{quote_name(database)}.*"
    return "\n".join(
        [
            "-- A dedicated account that can only read:",
            "CREATE USER 'keskinube'@'%' IDENTIFIED BY '…';",
            f"GRANT SELECT, SHOW VIEW ON {target} TO 'keskinube'@'%';",
            "-- Or take from this account what it may do besides reading:",
            *revokes,
            f"GRANT SELECT, SHOW VIEW ON {target} TO {account};",
        ]
    )


def account_literal(current_user: str) -> str:
    """`CURRENT_USER()` ('ro@%') as it is written in GRANT: 'ro'@'%'."""
    user, _, host = current_user.rpartition("@")
    if not user:
        user, host = current_user, "%"
    return f"{quote_string(user)}@{quote_string(host)}"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _split_top_level(text: str) -> list[str]:
    """Words separated by spaces outside quotes and parentheses."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    depth = 0
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""  # a doubled quote reopens at once: same result
            continue
        if char in "`'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char.isspace() and depth == 0:
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        words.append("".join(current))
    return words


def _commas(text: str) -> list[str]:
    """`SELECT, INSERT (`a`, `b`)` → ['SELECT', 'INSERT (`a`, `b`)']."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    depth = 0
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "`'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]
