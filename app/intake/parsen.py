"""Raw bytes of an Eingang → Antrag, by adapter kind. Pure apart from reading limits from the app config.

The adapters in ``adapters/`` do the real work; this module only splits an OZG-Cloud multipart body into the
parts ``adapters.ozgcloud.parse_ozgcloud`` expects (from the stored raw body, so re-processing works without a
request) and passes the configured limits and name patterns.
"""

from collections.abc import Mapping

from flask import current_app
from werkzeug.http import parse_options_header

from adapters import AdapterFehler, Antrag


def _grenzen() -> tuple[int, Mapping | None]:
    """(max attachment bytes, Antragsteller name patterns) from the config."""
    cfg = current_app.config
    return cfg["INTAKE_MAX_ANHANG_BYTES"], cfg.get("INTAKE_ANTRAGSTELLER_MUSTER")


def _teile(inhalt: bytes, grenze: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart body at its boundary into (headers, content) pairs (RFC 7578).

    Works on the bytes with ``find`` (memchr speed): werkzeug's streaming parser costs milliseconds for a
    100 KB upload, this costs microseconds. Raises AdapterFehler for a body that is cut off or has no parts.
    """
    trenner = b"--" + grenze
    anfang = inhalt.find(trenner)
    if anfang < 0:
        raise AdapterFehler("Multipart-Körper enthält die angegebene boundary nicht", "multipart_ungueltig")
    teile = []
    pos = anfang + len(trenner)
    while True:
        if inhalt.startswith(b"--", pos):
            return teile  # closing delimiter
        zeilenende = inhalt.find(b"\r\n", pos)
        if zeilenende < 0:
            break
        kopf_ende = inhalt.find(b"\r\n\r\n", zeilenende)
        if kopf_ende < 0:
            break
        naechster = inhalt.find(b"\r\n" + trenner, kopf_ende + 4)
        if naechster < 0:
            break
        kopfzeilen: dict[str, str] = {}
        for zeile in inhalt[zeilenende + 2 : kopf_ende].split(b"\r\n"):
            name, _, wert = zeile.decode("utf-8", "replace").partition(":")
            kopfzeilen[name.strip().lower()] = wert.strip()
        teile.append((kopfzeilen, inhalt[kopf_ende + 4 : naechster]))
        pos = naechster + 2 + len(trenner)
    raise AdapterFehler(
        "Multipart-Körper ist abgeschnitten (kein schließendes boundary-Trennzeichen)", "multipart_ungueltig"
    )


def multipart_teilen(inhalt: bytes, content_type: str):
    """Split a multipart/form-data body into (formData bytes, representation, attachments).

    Each file is ``(filename, content_type, bytes)``. ``formData`` may arrive as a plain field or as a file
    part. Raises AdapterFehler ``multipart_ungueltig`` or ``form_data_fehlt``.
    """
    mimetype, optionen = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data" or not optionen.get("boundary"):
        raise AdapterFehler(
            f"Erwartet wird multipart/form-data mit boundary, nicht {content_type or 'kein Content-Type'!r}",
            "multipart_ungueltig",
        )
    form_data = None
    representation = None
    attachments = []
    try:
        teile = _teile(inhalt, optionen["boundary"].encode("latin-1"))
    except AdapterFehler as fehler:
        if b'name="formData"' not in inhalt:
            raise AdapterFehler(
                f"Teil 'formData' fehlt im multipart/form-data-Körper ({fehler.message})", "form_data_fehlt"
            ) from fehler
        raise
    for kopfzeilen, daten in teile:
        _art, disposition = parse_options_header(kopfzeilen.get("content-disposition", ""))
        name = disposition.get("name")
        datei = (disposition.get("filename"), kopfzeilen.get("content-type"), daten)
        if name == "formData" and form_data is None:
            form_data = daten
        elif name == "representation" and representation is None:
            representation = datei
        elif name == "attachment":
            attachments.append(datei)
    if form_data is None:
        raise AdapterFehler("Teil 'formData' fehlt im multipart/form-data-Körper", "form_data_fehlt")
    return form_data, representation, attachments


def antrag_parsen(art: str, inhalt: bytes, content_type: str = "", metadaten: Mapping | None = None) -> Antrag:
    """Parse one delivery of adapter kind ``art``; raises AdapterFehler for anything malformed."""
    max_anhang, muster = _grenzen()
    if art == "ozgcloud":
        from adapters.ozgcloud import parse_ozgcloud

        form_data, representation, attachments = multipart_teilen(inhalt, content_type)
        return parse_ozgcloud(
            form_data, representation, attachments, max_anhang_bytes=max_anhang, antragsteller_muster=muster
        )
    if art == "intelliform":
        from adapters.intelliform import parse_deposit

        return parse_deposit(inhalt, max_anhang_bytes=max_anhang, antragsteller_muster=muster)
    if art == "formsolutions":
        from app.intake.formsolutions import submission_parsen

        return submission_parsen(inhalt, metadaten or {}, max_anhang_bytes=max_anhang, antragsteller_muster=muster)
    raise AdapterFehler(f"Unbekannte Quellenart {art!r}", "quelle_unbekannt")
