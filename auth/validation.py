"""Checks and clean-ups of what admins type about users: names, roles, attributes.

Each function returns the stored form of its input or raises `InvalidUserData` with a
message for the person who typed it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auth import roles
from auth.db import USERNAME_LENGTH
from auth.errors import InvalidUserData

_USERNAME = re.compile(rf"[a-z0-9][a-z0-9._@-]{{1,{USERNAME_LENGTH - 1}}}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ATTRIBUTE = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def normalise_username(username: str) -> str:
    """The stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def valid_username(username: str) -> str:
    """Trimmed, lower-case; 2-64 letters, digits, `._@-`, starting with a letter or digit."""
    cleaned = normalise_username(username)
    if not _USERNAME.fullmatch(cleaned):
        raise InvalidUserData(
            f"Invalid username {cleaned!r}: use 2 to {USERNAME_LENGTH} letters, digits, "
            "dots, dashes, underscores or @, starting with a letter or digit."
        )
    return cleaned


def valid_role(role: str) -> str:
    """One of `roles.ROLES`, lower-cased."""
    cleaned = role.strip().lower()
    if not roles.is_role(cleaned):
        raise InvalidUserData(f"Unknown role {role!r}: choose one of {', '.join(roles.ROLES)}.")
    return cleaned


def valid_name(name: str, username: str) -> str:
    """Whitespace collapsed; the username when empty."""
    cleaned = " ".join(name.split()) or username
    if len(cleaned) > 200:
        raise InvalidUserData("The name must be at most 200 characters long.")
    return cleaned


def valid_email(email: str) -> str:
    """Empty, or something shaped like an e-mail address."""
    cleaned = email.strip()
    if cleaned and (len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned)):
        raise InvalidUserData(f"{cleaned!r} is not an e-mail address.")
    return cleaned


def valid_language(language: str | None) -> str | None:
    """A short language code such as `fi`, or None."""
    cleaned = (language or "").strip()
    if len(cleaned) > 16:
        raise InvalidUserData("The language code must be at most 16 characters long.")
    return cleaned or None


def valid_attributes(attributes: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case identifier keys with plain values, stored as strings."""
    cleaned: dict[str, str] = {}
    for key, value in attributes.items():
        name = str(key).strip().lower()
        if not _ATTRIBUTE.fullmatch(name):
            raise InvalidUserData(
                f"Invalid attribute name {key!r}: use lower-case letters, digits and underscores."
            )
        if value is None or isinstance(value, dict | list):
            raise InvalidUserData(f"The attribute {name} needs a plain value.")
        cleaned[name] = str(value)
    return cleaned
