"""Password hashing with Argon2id (memory-hard); the parameter profile is a setting."""

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


@cache
def _hasher(profil: str) -> tuple[PasswordHasher, str]:
    """The hasher for an argon2-cffi profile name, and a hash to verify against when the login is unknown."""
    hasher = PasswordHasher.from_parameters(getattr(profiles, profil))
    return hasher, hasher.hash("kein-benutzer")


def _aktuell() -> tuple[PasswordHasher, str]:
    """The hasher of the configured profile (`ARGON2_PROFILE`)."""
    return _hasher(current_app.config["ARGON2_PROFILE"])


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _aktuell()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches; an unknown user (None) costs the same time and fails."""
    hasher, dummy = _aktuell()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when a stored hash was made with other parameters than the configured profile."""
    return _aktuell()[0].check_needs_rehash(password_hash)
