"""Passwords of data sources, encrypted at rest with a key from the environment.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`): an altered or foreign token
fails to decrypt instead of yielding garbage. The key is SOURCES_KEY; in dev, when unset,
a key is made once in the data folder (`key_file`) so that the embedded defaults need no
set-up, while prod refuses to start without one (`backend.config`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from backend.errors import KeskinubeError
from backend.i18n.message import Message


class SecretUnreadable(KeskinubeError):
    """A stored password cannot be decrypted with the key at hand (the key changed)."""


class SecretBox:
    """Encrypts and decrypts short secrets with one Fernet key."""

    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, *, source: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise SecretUnreadable(
                Message.of("sources.password_unreadable", source=source)
            ) from None


def is_valid_key(key: str) -> bool:
    """True for a Fernet key: 32 bytes, URL-safe base64."""
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def key_file(folder: Path) -> str:
    """The dev key kept in `folder` (made on first use, readable by its owner only)."""
    path = folder / "sources.key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    # Created with 0600 from the start: never readable by others, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
