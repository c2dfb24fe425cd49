"""Password hashing (bcrypt, the format streamlit-authenticator reads) and password rules.

Hashes are made with `bcrypt` directly rather than `streamlit_authenticator.Hasher`: the
library's hasher is the same two bcrypt calls (`$2b$`, 12 rounds), but importing it imports
Streamlit, which `auth/` must not. The rules: at least 10 characters, at most 72 bytes in
UTF-8 (bcrypt 5 refuses longer input), not the username and not containing it (for
usernames of 4+ characters: "alice2026!" is refused for alice), and not in the shipped list
of common passwords (`common_passwords.yaml`, compared case-insensitively).
"""

from __future__ import annotations

import secrets
import string
from functools import lru_cache
from importlib import resources

import bcrypt
import yaml

from auth.errors import PasswordRejected
from backend.i18n import Message

BCRYPT_ROUNDS = 12
MIN_LENGTH = 10
MAX_BYTES = 72
# Shorter usernames ("al") occur by chance inside good passwords, so only equality counts.
MIN_USERNAME_TO_SEARCH = 4
GENERATED_LENGTH = 16
_ALPHABET = string.ascii_letters + string.digits


class PasswordHasher:
    """bcrypt hashing; tests pass `rounds=4` to stay fast, production keeps 12."""

    def __init__(self, rounds: int | None = None) -> None:
        rounds = BCRYPT_ROUNDS if rounds is None else rounds
        if not 4 <= rounds <= 31:
            raise ValueError("bcrypt rounds must be between 4 and 31")
        self.rounds = rounds
        self._dummy_hash: bytes | None = None

    def hash(self, password: str) -> str:
        """The bcrypt hash of `password` ("$2b$<rounds>$..."); the password must fit 72 bytes."""
        secret = password.encode()
        if len(secret) > MAX_BYTES:
            raise PasswordRejected(_too_long())
        return bcrypt.hashpw(secret, bcrypt.gensalt(rounds=self.rounds)).decode()

    def verify(self, password: str, password_hash: str) -> bool:
        """True when `password` matches; False for a wrong, over-long or malformed input."""
        secret = password.encode()
        if len(secret) > MAX_BYTES:
            return False
        try:
            return bcrypt.checkpw(secret, password_hash.encode())
        except ValueError:
            return False

    def waste_time(self, password: str) -> None:
        """Spend as long as a real check, so an unknown username answers as slowly."""
        if self._dummy_hash is None:
            self._dummy_hash = bcrypt.hashpw(b"no such user", bcrypt.gensalt(self.rounds))
        bcrypt.checkpw(password.encode()[:MAX_BYTES], self._dummy_hash)


def check_password(password: str, *, username: str) -> None:
    """Raise `PasswordRejected` naming the first rule `password` breaks."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(Message.of("auth.password.too_short", min=MIN_LENGTH))
    if len(password.encode()) > MAX_BYTES:
        raise PasswordRejected(_too_long())
    folded, name = password.casefold(), username.strip().casefold()
    if name and (folded == name or (len(name) >= MIN_USERNAME_TO_SEARCH and name in folded)):
        raise PasswordRejected(Message.of("auth.password.contains_username"))
    if folded.strip() in common_passwords():
        raise PasswordRejected(Message.of("auth.password.too_common"))


def generate_password(*, username: str = "", length: int = GENERATED_LENGTH) -> str:
    """A random password of letters and digits that passes `check_password`, shown once."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        try:
            check_password(candidate, username=username)
        except PasswordRejected:
            continue
        return candidate


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of refused passwords, case-folded."""
    text = resources.files("auth").joinpath("common_passwords.yaml").read_text("utf-8")
    return frozenset(str(entry).strip().casefold() for entry in yaml.safe_load(text))


def _too_long() -> Message:
    return Message.of("auth.password.too_long", max=MAX_BYTES)
