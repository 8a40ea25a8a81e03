"""Raw bytes of an Eingang → Antrag, by adapter kind. Pure apart from reading limits from the app config.

The adapters in ``adapters/`` do the real work; this module only splits an OZG-Cloud multipart body into the
parts ``adapters.ozgcloud.parse_ozgcloud`` expects (from the stored raw body, so re-processing works without a
request) and passes the configured limits and name patterns.
"""

import json
import re
from collections.abc import Mapping

from flask import current_app
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from adapters import AdapterFehler, Antrag
from adapters.anhaenge import groesse_ueberschritten
from adapters.formsolutions import FormSolutionsOptionen, parse_submission
from adapters.grenzen import Grenzen
from adapters.intelliform import deposit_transaktions_id, parse_deposit
from adapters.ozgcloud import parse_ozgcloud
from adapters.zeichen import antrag_bereinigen

#: Bytes handed to the multipart decoder at a time (its boundary search costs more per byte on larger chunks).
_STUECK = 16 * 1024


def _teile(inhalt: bytes, grenze: bytes, max_teil_bytes: int) -> list[tuple[Field | File, bytes]]:
    """Split a multipart body into (part, content) pairs with werkzeug's streaming decoder (RFC 7578).

    A part above ``max_teil_bytes`` is refused while decoding (413); a body that is cut off or malformed
    raises AdapterFehler ``multipart_ungueltig``.
    """
    decoder = MultipartDecoder(grenze)
    teile: list[tuple[Field | File, bytes]] = []
    aktuell: Field | File | None = None
    stuecke: list[bytes] = []
    groesse = 0
    ansicht = memoryview(inhalt)
    pos = 0
    try:
        while True:
            ereignis = decoder.next_event()
            if isinstance(ereignis, NeedData):
                decoder.receive_data(bytes(ansicht[pos : pos + _STUECK]) if pos < len(inhalt) else None)
                pos += _STUECK
            elif isinstance(ereignis, Field | File):
                aktuell, stuecke, groesse = ereignis, [], 0
            elif isinstance(ereignis, Data):
                stuecke.append(ereignis.data)
                groesse += len(ereignis.data)
                if groesse > max_teil_bytes:
                    raise groesse_ueberschritten(f"Teil {aktuell.name!r}", groesse, max_teil_bytes)
                if not ereignis.more_data:
                    teile.append((aktuell, b"".join(stuecke)))
                    stuecke = []
            elif isinstance(ereignis, Epilogue):
                return teile
    except ValueError as fehler:
        meldung = f"Multipart-Körper ist ungültig oder abgeschnitten ({fehler})"
        raise AdapterFehler(meldung, "multipart_ungueltig") from fehler


def multipart_teilen(inhalt: bytes, content_type: str, max_teil_bytes: int):
    """Split a multipart/form-data body into (formData bytes, representation, attachments).

    Each file is ``(filename, content_type, bytes)``. ``formData`` may arrive as a plain field or as a file
    part. Raises AdapterFehler ``multipart_ungueltig``, ``form_data_fehlt`` or ``anhang_zu_gross``.
    """
    mimetype, optionen = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data" or not optionen.get("boundary"):
        raise AdapterFehler(
            f"Erwartet wird multipart/form-data mit boundary, nicht {content_type or 'kein Content-Type'!r}",
            "multipart_ungueltig",
        )
    try:
        teile = _teile(inhalt, optionen["boundary"].encode("latin-1"), max_teil_bytes)
    except AdapterFehler as fehler:
        if fehler.code == "multipart_ungueltig" and b'name="formData"' not in inhalt:
            raise AdapterFehler(
                f"Teil 'formData' fehlt im multipart/form-data-Körper ({fehler.message})", "form_data_fehlt"
            ) from fehler
        raise
    form_data = None
    representation = None
    attachments = []
    for teil, daten in teile:
        datei = (getattr(teil, "filename", None), teil.headers.get("content-type"), daten)
        if teil.name == "formData" and form_data is None:
            form_data = daten
        elif teil.name == "representation" and representation is None:
            representation = datei
        elif teil.name == "attachment":
            attachments.append(datei)
    if form_data is None:
        raise AdapterFehler("Teil 'formData' fehlt im multipart/form-data-Körper", "form_data_fehlt")
    return form_data, representation, attachments


def antrag_parsen(art: str, inhalt: bytes, content_type: str = "", metadaten: Mapping | None = None) -> Antrag:
    """Parse one delivery of adapter kind ``art`` and clean its text (adapters.zeichen); raises AdapterFehler
    for anything malformed."""
    grenze = current_app.config["INTAKE_MAX_CONTENT_TYPE_ZEICHEN"]
    if len(content_type) > grenze:
        raise AdapterFehler(
            f"Der Content-Type-Header ist {len(content_type)} Zeichen lang; erlaubt sind höchstens {grenze}",
            "content_type_ungueltig",
        )
    antrag = _parsen(art, inhalt, content_type, metadaten)
    antrag_bereinigen(antrag)
    return antrag


def _parsen(art: str, inhalt: bytes, content_type: str, metadaten: Mapping | None) -> Antrag:
    """The adapter of kind ``art`` with the configured limits."""
    cfg = current_app.config
    max_anhang, muster = cfg["INTAKE_MAX_ANHANG_BYTES"], cfg.get("INTAKE_ANTRAGSTELLER_MUSTER")
    grenzen = Grenzen(cfg["INTAKE_MAX_FELDER"], cfg["INTAKE_MAX_TIEFE"], cfg["INTAKE_MAX_WERT_ZEICHEN"])
    if art == "ozgcloud":
        if (metadaten or {}).get("nur_form_data"):  # a saved bare formData document (intake replay)
            form_data, representation, attachments = inhalt, None, []
        else:
            form_data, representation, attachments = multipart_teilen(inhalt, content_type, max_anhang)
        return parse_ozgcloud(
            form_data,
            representation,
            attachments,
            max_anhang_bytes=max_anhang,
            antragsteller_muster=muster,
            grenzen=grenzen,
        )
    if art == "intelliform":
        return parse_deposit(inhalt, max_anhang_bytes=max_anhang, antragsteller_muster=muster, grenzen=grenzen)
    if art == "formsolutions":
        metadaten = metadaten or {}
        return parse_submission(
            inhalt,
            mandant=metadaten.get("mandant"),
            formularnummer=metadaten.get("formularnummer"),
            optionen=FormSolutionsOptionen.aus_json(metadaten.get("optionen"), muster),
            max_anhang_bytes=max_anhang,
            grenzen=grenzen,
        )
    raise AdapterFehler(f"Unbekannte Quellenart {art!r}", "quelle_unbekannt")


#: ``"transactionId": "…"`` in an OZG-Cloud formData JSON (the string token, decoded with json.loads).
_OZG_TRANSAKTION = re.compile(rb'"transactionId"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.){1,2000}")')


def transaktions_id_suchen(art: str, inhalt: bytes, content_type: str = "") -> str | None:
    """Best effort for a delivery that failed to parse: its transaction id, if one can still be read (so that
    resends of the same broken delivery are stored once, whatever their multipart boundary)."""
    if art == "ozgcloud":
        treffer = _OZG_TRANSAKTION.search(inhalt)
        if treffer:
            try:
                text = json.loads(treffer.group(1).decode("utf-8"))
            except ValueError:
                return None
            return text.strip() or None
        return None
    if art == "intelliform":
        try:
            return deposit_transaktions_id(inhalt)
        except AdapterFehler:
            return None
    return None
