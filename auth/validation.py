"""Checks and clean-ups of what admins type about users: names, roles, attributes.

Each function returns the stored form of its input or raises `InvalidUserData` with a
catalogue message (`auth.*`) for the person who typed it, shown in their language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from appdb.schema import USERNAME_LENGTH
from auth import roles
from auth.errors import InvalidUserData
from backend.i18n import LANGUAGES, Language, Message, normalise_language

_USERNAME = re.compile(rf"[a-z0-9][a-z0-9._@-]{{1,{USERNAME_LENGTH - 1}}}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ATTRIBUTE = re.compile(r"[a-z_][a-z0-9_]{0,63}")
NAME_LENGTH = 200


def normalise_username(username: str) -> str:
    """The stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def valid_username(username: str) -> str:
    """Trimmed, lower-case; 2-64 letters, digits, `._@-`, starting with a letter or digit."""
    cleaned = normalise_username(username)
    if not _USERNAME.fullmatch(cleaned):
        raise InvalidUserData(
            Message.of("auth.username.invalid", username=cleaned, max=USERNAME_LENGTH)
        )
    return cleaned


def valid_role(role: str) -> str:
    """One of `roles.ROLES`, lower-cased."""
    cleaned = role.strip().lower()
    if not roles.is_role(cleaned):
        raise InvalidUserData(
            Message.of("auth.role.unknown", role=role, choices=", ".join(roles.ROLES))
        )
    return cleaned


def valid_name(name: str, username: str) -> str:
    """Whitespace collapsed; the username when empty."""
    cleaned = " ".join(name.split()) or username
    if len(cleaned) > NAME_LENGTH:
        raise InvalidUserData(Message.of("auth.name.too_long", max=NAME_LENGTH))
    return cleaned


def valid_email(email: str) -> str:
    """Empty, or something shaped like an e-mail address."""
    cleaned = email.strip()
    if cleaned and (len(cleaned) > 254 or not _EMAIL.fullmatch(cleaned)):
        raise InvalidUserData(Message.of("auth.email.invalid", email=cleaned))
    return cleaned


def valid_language(language: str | None) -> Language | None:
    """One of `backend.i18n.LANGUAGES` ("es-ES" → "es"), or None for "the app's default"."""
    cleaned = (language or "").strip()
    if not cleaned:
        return None
    code = normalise_language(cleaned)
    if code is None:
        raise InvalidUserData(
            Message.of("auth.language.unknown", language=cleaned, choices=", ".join(LANGUAGES))
        )
    return code


def valid_attributes(attributes: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case identifier keys with plain values, stored as strings."""
    cleaned: dict[str, str] = {}
    for key, value in attributes.items():
        name = str(key).strip().lower()
        if not _ATTRIBUTE.fullmatch(name):
            raise InvalidUserData(Message.of("auth.attribute.invalid_name", name=str(key)))
        if value is None or isinstance(value, dict | list):
            raise InvalidUserData(Message.of("auth.attribute.plain_value", name=name))
        cleaned[name] = str(value)
    return cleaned
