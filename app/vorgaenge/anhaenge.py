"""Anhänge: a content-addressed file store and safe downloads.

Bytes are stored once per SHA-256 under `app.config['DATENABLAGE']/ab/cd/<sha256>`; the `Anhang` row holds
name, type and size. Downloads send the stored type and a `Content-Disposition`; only PDF and raster images
that are not flagged dangerous are shown inline — HTML, SVG, XML and anything unknown are always attachments,
with a sandboxing CSP so a browser that renders them anyway cannot run their scripts.
"""

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

from flask import Response, current_app, send_file

from adapters.anhaenge import OCTET_STREAM, dateiname_bereinigen, mime_erkennen
from adapters.anhaenge import ist_gefaehrlich as gefaehrlich
from app.auth.models import Benutzer
from app.extensions import db
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Anhang, Vorgang

#: Types that may be displayed in the browser (never HTML, SVG or XML: those can carry scripts).
INLINE_TYPEN = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})
#: Types a caseworker may upload.
ERLAUBTE_TYPEN = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
        "text/plain",
        "text/csv",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/msword",
        "application/vnd.ms-excel",
        "message/rfc822",
    }
)
#: Default upload limit per file: 20 MB (config key ANHANG_MAX_BYTES).
STANDARD_MAX_BYTES = 20 * 1024 * 1024


class AnhangAbgelehnt(ValueError):
    """An upload that breaks the size or type rules; the message is German and shown to the user."""


def _ablage() -> Path:
    """The root folder of the file store."""
    return Path(current_app.config["DATENABLAGE"])


def pfad(sha256: str) -> Path:
    """Where the bytes with this SHA-256 are stored."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("ungültige Prüfsumme")
    return _ablage() / sha256[:2] / sha256[2:4] / sha256


def bytes_ablegen(daten: bytes) -> str:
    """Store bytes once under their SHA-256 (atomic rename, so readers never see half a file); return the hash."""
    sha = hashlib.sha256(daten).hexdigest()
    ziel = pfad(sha)
    if ziel.exists():
        return sha
    ziel.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=ziel.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as datei:
            datei.write(daten)
        os.replace(tmp, ziel)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def typ_erkennen(dateiname: str, daten: bytes, angegeben: str | None = None) -> str:
    """The MIME type: sniffed from the bytes (the adapters' detector); for text and unknown bytes the name's
    extension decides (`.csv` is text), else what the client said."""
    erkannt = mime_erkennen(daten)
    if erkannt not in (OCTET_STREAM, "text/plain"):
        return erkannt
    geraten, _ = mimetypes.guess_type(dateiname)
    return geraten or (erkannt if erkannt != OCTET_STREAM else None) or angegeben or OCTET_STREAM


def ist_gefaehrlich(mime_typ: str, dateiname: str, daten: bytes = b"") -> bool:
    """True for types, names or contents a browser or desktop could execute (the adapters' one rule)."""
    return gefaehrlich(dateiname, None, mime_typ, daten)


def sicherer_dateiname(dateiname: str) -> str:
    """No directories, no control or reserved characters, never empty (the adapters' one rule)."""
    return dateiname_bereinigen(dateiname)


def hochladen(
    vorgang: Vorgang,
    dateiname: str,
    daten: bytes,
    benutzer: Benutzer,
    beschreibung: str = "",
    angegebener_typ: str | None = None,
) -> Anhang:
    """A caseworker attaches a file: checks size and type, stores the bytes, writes Historie (no commit)."""
    grenze = current_app.config.get("ANHANG_MAX_BYTES", STANDARD_MAX_BYTES)
    if not daten:
        raise AnhangAbgelehnt("Die Datei ist leer.")
    if len(daten) > grenze:
        raise AnhangAbgelehnt(f"Die Datei ist zu groß (höchstens {grenze // (1024 * 1024)} MB).")
    name = sicherer_dateiname(dateiname)
    mime = typ_erkennen(name, daten, angegebener_typ)
    if mime not in ERLAUBTE_TYPEN or ist_gefaehrlich(mime, name, daten):
        raise AnhangAbgelehnt(
            "Dieser Dateityp ist nicht erlaubt. Erlaubt sind PDF, Bilder (PNG, JPEG, GIF, WebP, TIFF), "
            "Text, CSV, E-Mails und Office-Dokumente."
        )
    anhang = anhang_anlegen(
        vorgang, name, daten, mime, herkunft="bearbeitung", beschreibung=beschreibung, benutzer=benutzer
    )
    protokolliere(vorgang, "Anhang hinzugefügt", benutzer, None, {"datei": name, "groesse": len(daten)}, beschreibung)
    return anhang


def anhang_anlegen(
    vorgang: Vorgang,
    dateiname: str,
    daten: bytes,
    mime_typ: str | None = None,
    *,
    herkunft: str = "antrag",
    beschreibung: str = "",
    benutzer: Benutzer | None = None,
) -> Anhang:
    """Store bytes and add the Anhang row without rule checks (intake uses this for the applicant's files)."""
    name = sicherer_dateiname(dateiname)
    mime = mime_typ or typ_erkennen(name, daten)
    anhang = Anhang(
        vorgang_id=vorgang.id,
        dateiname=name,
        mime_typ=mime,
        groesse=len(daten),
        sha256=bytes_ablegen(daten),
        ist_gefaehrlich=ist_gefaehrlich(mime, name, daten),
        herkunft=herkunft,
        beschreibung=beschreibung,
        hochgeladen_von_id=benutzer.id if benutzer else None,
    )
    db.session.add(anhang)
    db.session.flush()
    return anhang


def darf_inline(anhang: Anhang) -> bool:
    """Inline preview only for PDF and raster images that are not flagged dangerous."""
    return (
        anhang.mime_typ in INLINE_TYPEN
        and not anhang.ist_gefaehrlich
        and not ist_gefaehrlich(anhang.mime_typ, anhang.dateiname)
    )


def ausliefern(anhang: Anhang, inline: bool = False) -> Response:
    """The download response: stored type, attachment unless an inline preview is allowed and asked for."""
    zeigen = inline and darf_inline(anhang)
    antwort = send_file(
        pfad(anhang.sha256),
        mimetype=anhang.mime_typ,
        as_attachment=not zeigen,
        download_name=anhang.dateiname,
        conditional=True,
        etag=anhang.sha256,
        max_age=0,
    )
    if not darf_inline(anhang):
        # Should a browser render such a file anyway, it gets no script, no plugins, no same-origin access.
        # (Not for PDF/images: Chromium's PDF viewer refuses to run in a sandboxed document.)
        antwort.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    antwort.headers["Cache-Control"] = "private, no-cache"
    return antwort
