"""Raw bytes of an Eingang → Antrag, by adapter kind. Pure apart from reading limits from the app config.

The adapters in ``adapters/`` do the real work; this module only splits an OZG-Cloud multipart body into the
parts ``adapters.ozgcloud.parse_ozgcloud`` expects (werkzeug's multipart parser, so the stored raw body can
be parsed again on re-processing without a request) and passes the configured limits and name patterns.
"""

import io
from collections.abc import Mapping

from flask import current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from adapters import AdapterFehler, Antrag


def _grenzen() -> tuple[int, Mapping | None]:
    """(max attachment bytes, Antragsteller name patterns) from the config."""
    cfg = current_app.config
    return cfg["INTAKE_MAX_ANHANG_BYTES"], cfg.get("INTAKE_ANTRAGSTELLER_MUSTER")


def multipart_teilen(inhalt: bytes, content_type: str, max_bytes: int):
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
    parser = FormDataParser(max_form_memory_size=max_bytes, max_content_length=max_bytes, max_form_parts=10000)
    try:
        _stream, form, files = parser.parse(io.BytesIO(inhalt), mimetype, len(inhalt), optionen)
    except RequestEntityTooLarge as fehler:
        raise AdapterFehler("Die Lieferung ist zu groß", "zu_gross", http_status=413) from fehler
    except ValueError as fehler:
        raise AdapterFehler(f"Multipart-Körper ist nicht lesbar: {fehler}", "multipart_ungueltig") from fehler
    if "formData" in files:
        form_data = files["formData"].read()
    elif "formData" in form:
        form_data = form["formData"].encode("utf-8")
    else:
        raise AdapterFehler(
            "Teil 'formData' fehlt im multipart/form-data-Körper (oder der Körper ist abgeschnitten)",
            "form_data_fehlt",
        )

    def datei(teil) -> tuple[str | None, str | None, bytes]:
        return teil.filename, teil.content_type, teil.read()

    representation = datei(files["representation"]) if "representation" in files else None
    attachments = [datei(teil) for teil in files.getlist("attachment")]
    return form_data, representation, attachments


def antrag_parsen(art: str, inhalt: bytes, content_type: str = "", metadaten: Mapping | None = None) -> Antrag:
    """Parse one delivery of adapter kind ``art``; raises AdapterFehler for anything malformed."""
    max_anhang, muster = _grenzen()
    if art == "ozgcloud":
        from adapters.ozgcloud import parse_ozgcloud

        form_data, representation, attachments = multipart_teilen(
            inhalt, content_type, current_app.config["INTAKE_MAX_BYTES"]
        )
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
