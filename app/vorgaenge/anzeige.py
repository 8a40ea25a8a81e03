"""Display helpers of the Vorgang pages (registered as Jinja filters): values, key names, sizes, Historie."""

import re
from datetime import date, datetime

from app.templating import datum, datum_zeit

_ISO_DATUM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")

#: Technical keys of the Antragsteller record and of Historie entries → how a caseworker reads them.
FELDNAMEN = {
    "vorname": "Vorname",
    "nachname": "Nachname",
    "name": "Name",
    "firma": "Firma",
    "firmenname": "Firmenname",
    "strasse": "Straße",
    "hausnummer": "Hausnummer",
    "plz": "PLZ",
    "ort": "Ort",
    "email": "E-Mail",
    "telefon": "Telefon",
    "anschrift": "Anschrift",
    "postfach": "Postfach",
    "postfach_id": "Postfach",
    "postfach_adresse": "Postfach-Adresse",
    "postfach_typ": "Postfach-Art",
    "konto": "Nutzerkonto",
    "konto_typ": "Kontoart",
    "vertrauensniveau": "Vertrauensniveau",
    "geburtsdatum": "Geburtsdatum",
    "art": "Art",
    "typ": "Art",
    "anrede": "Anrede",
    "titel": "Titel",
    "land": "Land",
    "anhaenge": "Anhänge",
    "transaktions_id": "Transaktions-ID",
    "eingang_id": "Eingang",
    "quelle": "Formulardienst",
    "verfahren": "Verfahren",
    "version": "Version",
    "nummer": "Vorgangsnummer",
    "status": "Status",
    "aktenzeichen": "Aktenzeichen",
    "bearbeiter": "Sachbearbeitung",
    "oe": "Organisationseinheit",
    "datei": "Datei",
    "groesse": "Größe",
    "betreff": "Betreff",
    "frist": "Frist",
    "erledigt": "Erledigt",
    "zugewiesen_an": "Zugewiesen an",
    "nachricht": "Nachricht",
    "element": "Schritt",
}

#: Account types as the form services spell them → as people know them.
KONTOARTEN = {"BUND_ID": "BundID", "BAYERN_ID": "BayernID", "MUK": "Mein Unternehmenskonto", "ELSTER": "ELSTER"}
_ANFUEHRUNG = "\"'„“”‚‘’«»"


def formularwert(wert, typ: str | None = None) -> str:
    """A form value for reading: dates German, booleans Ja/Nein, decimals with comma, lists joined."""
    if wert is None or wert == "":
        return "–"
    if isinstance(wert, bool):
        return "Ja" if wert else "Nein"
    if isinstance(wert, datetime):
        return datum_zeit(wert)
    if isinstance(wert, date):
        return datum(wert)
    if isinstance(wert, float):
        return f"{wert:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if isinstance(wert, list):
        return ", ".join(formularwert(w) for w in wert)
    if isinstance(wert, dict):
        return ", ".join(f"{feldname(k)}: {formularwert(v)}" for k, v in wert.items())
    text = str(wert)
    if typ in ("boolean", "bool") and text.lower() in ("true", "false"):
        return "Ja" if text.lower() == "true" else "Nein"
    treffer = _ISO_DATUM.match(text.strip())
    if treffer:
        try:
            if treffer.group(4) is None:
                return datum(date.fromisoformat(text.strip()[:10]))
            return datum_zeit(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
        except ValueError:
            return text
    return text


def feldname(schluessel: str) -> str:
    """A readable German label for a technical key; a written label ("Datum des Ortstermins") stays as written."""
    schluessel = str(schluessel)
    bekannt = FELDNAMEN.get(schluessel.lower())
    if bekannt:
        return bekannt
    text = schluessel.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def groesse(anzahl: int) -> str:
    """File size in German notation: `1,2 MB`, `340 KB`, `12 Bytes`."""
    if anzahl >= 1024 * 1024:
        return f"{anzahl / 1024 / 1024:.1f} MB".replace(".", ",")
    if anzahl >= 1024:
        return f"{round(anzahl / 1024)} KB"
    return f"{anzahl} Bytes"


def aenderung(eintrag) -> str:
    """Before/after of a Historie entry as text: `Status: Neu → Angenommen; Aktenzeichen: – → 197008-2026-00001`."""
    vorher, nachher = eintrag.vorher or {}, eintrag.nachher or {}
    teile = []
    for schluessel in list(dict.fromkeys([*vorher, *nachher])):
        alt, neu = vorher.get(schluessel), nachher.get(schluessel)
        if schluessel in vorher:
            teile.append(f"{feldname(schluessel)}: {formularwert(alt)} → {formularwert(neu)}")
        else:
            teile.append(f"{feldname(schluessel)}: {formularwert(neu)}")
    return "; ".join(teile)


def ohne_anfuehrung(text: str) -> str:
    """A note without the quotation marks it may already carry (the page sets its own)."""
    text = str(text or "").strip()
    while len(text) >= 2 and text[0] in _ANFUEHRUNG and text[-1] in _ANFUEHRUNG:
        text = text[1:-1].strip()
    return text


def antragsteller_anzeige(daten: dict) -> dict:
    """The stored Antragsteller record for reading: account types by name, numeric Postfach codes left out."""
    ergebnis = {}
    for schluessel, wert in (daten or {}).items():
        if isinstance(wert, dict):
            wert = antragsteller_anzeige(wert)
        elif schluessel == "konto_typ" and isinstance(wert, str):
            wert = KONTOARTEN.get(wert.upper(), wert)
        elif schluessel == "postfach_typ" and str(wert).strip().isdigit():
            continue  # a service-internal code (OZG-Cloud sends 1), meaningless to a caseworker
        ergebnis[schluessel] = wert
    return ergebnis
