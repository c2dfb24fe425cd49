"""Exceptions of the auth package. Each message is safe to show to the person acting."""

from __future__ import annotations

from backend.errors import KeskinubeError


class AuthError(KeskinubeError):
    """Base class of every users/roles/policies/audit error."""


class PasswordRejected(AuthError):
    """A new password breaks a password rule; the message names the rule."""


class InvalidUserData(AuthError):
    """A username, e-mail address, role or attribute is malformed."""


class UserExists(AuthError):
    """A user with that username already exists."""


class UserNotFound(AuthError):
    """No user has that username (only raised to admins, never at login)."""


class UserDeleteFailed(AuthError):
    """Deleting a user failed in the database; the transaction rolled back, nothing changed."""


class LastAdminError(AuthError):
    """The change would leave no active admin."""


class InvalidPolicy(AuthError):
    """A table, column or row-filter predicate given for an access rule is malformed."""
