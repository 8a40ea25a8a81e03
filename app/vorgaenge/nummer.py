"""Vorgangsnummern like `31005-FFBZK6`: an OE prefix and six characters without 0/O/1/I."""

import secrets

#: 32 characters that cannot be confused when read aloud or typed: no 0/O, no 1/I.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LAENGE = 6


def neue_vorgangsnummer(prefix: str) -> str:
    """A random Vorgangsnummer; uniqueness is guaranteed by the database and a retry in `anlegen`."""
    return f"{prefix}-{''.join(secrets.choice(ALPHABET) for _ in range(LAENGE))}"
