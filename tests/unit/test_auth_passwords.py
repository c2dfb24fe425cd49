"""Password rules (each refusal), bcrypt hashing and generated passwords."""

from __future__ import annotations

import pytest

from auth.errors import PasswordRejected
from auth.passwords import (
    BCRYPT_ROUNDS,
    PasswordHasher,
    check_password,
    common_passwords,
    generate_password,
)

FAST = PasswordHasher(rounds=4)


@pytest.mark.parametrize(
    ("password", "username", "message"),
    [
        ("Sh0rt-pw!", "ann", "at least 10 characters"),
        ("", "ann", "at least 10 characters"),
        ("é" * 37, "ann", "at most 72 bytes"),
        ("Margaret.Hamilton", "margaret.hamilton", "not be or contain the username"),
        ("MARGARET.HAMILTON", "margaret.hamilton", "not be or contain the username"),
        ("my-name-is-Bobby!", "bobby", "not be or contain the username"),
        ("Password123", "ann", "too common"),
        ("  qwertyuiop ", "ann", "too common"),
        ("1234567890", "ann", "too common"),
    ],
)
def test_check_password_refuses_with_a_clear_message(
    password: str, username: str, message: str
) -> None:
    with pytest.raises(PasswordRejected, match=message):
        check_password(password, username=username)


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("Correct-Horse-Battery-9", "ann"),
        ("x" * 72, "ann"),
        ("totally-normal-words", "al"),  # a 2-letter username may occur by chance
        ("glühwein-und-käse", "bob"),
    ],
)
def test_check_password_accepts_good_passwords(password: str, username: str) -> None:
    check_password(password, username=username)


def test_the_common_list_ships_about_a_hundred_long_entries() -> None:
    entries = common_passwords()
    assert len(entries) >= 100
    assert all(entry == entry.casefold() for entry in entries)
    assert {"password123", "qwertyuiop", "keskinube123"} <= entries


def test_hash_is_bcrypt_with_twelve_rounds_by_default() -> None:
    assert BCRYPT_ROUNDS == 12
    assert PasswordHasher().rounds == 12
    hashed = FAST.hash("Correct-Horse-Battery-9")
    assert hashed.startswith("$2b$04$") and len(hashed) == 60
    assert FAST.hash("Correct-Horse-Battery-9") != hashed  # salted


def test_verify_is_false_for_wrong_long_or_malformed_input() -> None:
    hashed = FAST.hash("Correct-Horse-Battery-9")
    assert FAST.verify("Correct-Horse-Battery-9", hashed)
    assert not FAST.verify("correct-horse-battery-9", hashed)
    assert not FAST.verify("x" * 100, hashed)
    assert not FAST.verify("Correct-Horse-Battery-9", "not a hash")
    FAST.waste_time("x" * 100)  # never raises, whatever was typed


def test_hashing_refuses_over_72_bytes() -> None:
    with pytest.raises(PasswordRejected, match="72 bytes"):
        FAST.hash("x" * 73)
    with pytest.raises(ValueError, match="rounds"):
        PasswordHasher(rounds=3)


def test_hashes_are_readable_by_streamlit_authenticator() -> None:
    """The library checks logins with its own Hasher: our hashes must be its format."""
    from streamlit_authenticator.utilities.hasher import Hasher

    hashed = FAST.hash("Correct-Horse-Battery-9")
    assert Hasher.is_hash(hashed)
    assert Hasher.check_pw("Correct-Horse-Battery-9", hashed)
    assert FAST.verify("Correct-Horse-Battery-9", Hasher.hash("Correct-Horse-Battery-9"))


def test_generated_passwords_pass_the_rules_and_differ() -> None:
    generated = {generate_password(username="ann") for _ in range(20)}
    assert len(generated) == 20
    for password in generated:
        assert len(password) == 16 and password.isalnum()
        check_password(password, username="ann")
