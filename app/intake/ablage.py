"""Where the intake puts attachment bytes: the web app's content-addressed store.

Delegates to ``app.vorgaenge.anhaenge.bytes_ablegen`` (``<DATENABLAGE>/ab/cd/<sha256>``, atomic rename). When
that module is not installed, the same layout is written here, so files stay where the web app looks.

Files are written before the database transaction commits; if it rolls back, an unreferenced file stays behind
(harmless: content-addressed, reused by the next identical delivery).
"""

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def pfad_fuer(sha256: str) -> Path:
    """Where the content with this hash lives (same layout as the web app's store)."""
    return Path(current_app.config["DATENABLAGE"]) / sha256[:2] / sha256[2:4] / sha256


def datei_ablegen(inhalt: bytes) -> str:
    """Store ``inhalt`` once and return its SHA-256 (hex)."""
    try:
        from app.vorgaenge.anhaenge import bytes_ablegen
    except ImportError:
        bytes_ablegen = None
    if bytes_ablegen is not None:
        return bytes_ablegen(inhalt)
    sha256 = hashlib.sha256(inhalt).hexdigest()
    ziel = pfad_fuer(sha256)
    if ziel.exists():
        return sha256
    ziel.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=ziel.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as datei:
            datei.write(inhalt)
        os.replace(temp, ziel)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return sha256
