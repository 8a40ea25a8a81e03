"""Find the Antragsteller in free-form form fields by configurable name patterns.

Forms name their fields freely (``vorname``, ``AS_Vorname``, ``antragsteller.firstName`` …). Each key of
:data:`STANDARD_MUSTER` is an Antragsteller attribute with a regular expression that is matched against the
*normalized* field name (lower case, umlauts transliterated, every other non-alphanumeric run turned into
``_``) and then against the normalized label. The first non-empty field in document order wins.

Callers pass ``muster`` to override single patterns (``{"plz": r"^wohn_plz$"}``) or switch one off
(``{"telefon": None}``); unmentioned keys keep their default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import date, datetime

from adapters.antrag import ANTRAGSTELLER_FELDER, Antragsteller, Feld

_P = r"^(?:[a-z0-9_]*_)?"  # any prefix ending in "_" (antragsteller_, as_, person_ …)

#: Default patterns, matched with ``re.search`` on the normalized name/label.
STANDARD_MUSTER: dict[str, str] = {
    "vorname": _P + r"(?:vorname|vornamen|first_?name|given_?name|rufname)$",
    "nachname": _P + r"(?:nachname|familienname|last_?name|sur_?name|family_?name|zuname)$",
    "firmenname": _P + r"(?:firma|firmenname|firmierung|unternehmen|unternehmensname|company(?:_?name)?"
    r"|organisation(?:sname)?|organization(?:_?name)?|name_der_firma|name_des_unternehmens"
    r"|geschaeftsbezeichnung|betriebsname|betriebsbezeichnung|name_des_betriebs|gewerbebezeichnung)$",
    "strasse": _P + r"(?:strasse|str|street|strassenname|strasse_und_hausnummer|strasse_hausnummer)$",
    "hausnummer": _P + r"(?:hausnummer|haus_?nr|hnr|house_?number|street_?number)$",
    "plz": _P + r"(?:plz|postleitzahl|post_?code|postal_?code|zip(?:_?code)?)$",
    "ort": r"^(?!.*geburt)" + _P + r"(?:ort|wohnort|stadt|city|gemeinde|locality(?:_?name)?)$",
    "geburtsdatum": _P + r"(?:geburtsdatum|geb_?datum|geburtstag|birth_?date|date_?of_?birth|dob)$",
    "email": _P + r"(?:e_?mail|mail|mailadresse|e_?mail_?adresse|email_?address)$",
    "telefon": _P + r"(?:telefon|telefonnummer|tel|tel_?nr|phone|phone_?number|mobil|mobilnummer|handy"
    r"|rufnummer)$",
}

#: A field that chooses between options (``person_oder_firma``, ``antragsteller_art``, ``auswahl_…``): its value
#: is a choice, never a name or an address.
_AUSWAHL = re.compile(r"(?:^|_)(?:oder|art|typ|auswahl)(?:_|$)")
#: Chosen values that say the applicant is a company or organisation.
_FIRMA_GEWAEHLT = {"firma", "unternehmen", "organisation", "juristische_person", "gewerbe", "betrieb", "company"}

_UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STRASSE_MIT_NUMMER = re.compile(r"^(?P<strasse>.*?\D)\s+(?P<nummer>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$")


def normalisieren(text: str) -> str:
    """``"Antragsteller.E-Mail-Adresse"`` → ``"antragsteller_e_mail_adresse"``."""
    text = text.lower().translate(_UMLAUTE)
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def muster_kompilieren(
    muster: Mapping[str, str | re.Pattern[str] | None] | None = None,
) -> dict[str, re.Pattern[str]]:
    """Merge ``muster`` over :data:`STANDARD_MUSTER` and compile; a None value disables that key.

    Raises ValueError for a key that is no Antragsteller attribute or an invalid regular expression.
    """
    gesamt: dict[str, str | re.Pattern[str] | None] = dict(STANDARD_MUSTER)
    for schluessel, wert in (muster or {}).items():
        if schluessel not in ANTRAGSTELLER_FELDER:
            raise ValueError(f"Unbekanntes Antragsteller-Feld im Muster: {schluessel!r}")
        gesamt[schluessel] = wert
    ergebnis: dict[str, re.Pattern[str]] = {}
    for schluessel, wert in gesamt.items():
        if wert is None:
            continue
        ergebnis[schluessel] = wert if isinstance(wert, re.Pattern) else re.compile(wert)
    return ergebnis


_STANDARD_KOMPILIERT = muster_kompilieren()


def _als_text(feld: Feld) -> str | None:
    """A field's value as a stripped string (dates ISO), None when empty or a group/file."""
    if feld.typ in ("group", "file") or feld.wert is None or isinstance(feld.wert, bool):
        return None
    text = feld.wert.isoformat() if isinstance(feld.wert, date) else str(feld.wert).strip()
    return text or None


def datum_lesen(text: str | date | None) -> date | None:
    """Read a birth date given as ``YYYY-MM-DD``, ``DD.MM.YYYY`` or ISO date-time; None if unreadable."""
    if text is None or isinstance(text, date):
        return text
    text = text.strip()
    for format_ in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, format_).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def strasse_aufteilen(strasse: str | None) -> tuple[str | None, str | None]:
    """``"Agnes-Pockels-Bogen 21a"`` → ``("Agnes-Pockels-Bogen", "21a")``; else ``(strasse, None)``."""
    if not strasse:
        return strasse, None
    treffer = _STRASSE_MIT_NUMMER.match(strasse.strip())
    if not treffer:
        return strasse.strip(), None
    return treffer["strasse"].strip(), treffer["nummer"].replace(" ", "")


def _ist_auswahl(feld: Feld, name: str, label: str, text: str) -> bool:
    """True for a choice field: it has a display text for its value (intelliForm ``a:label``), its name or label
    says it chooses (``person_oder_firma``), or its value is a word of its own name (``firma`` in it)."""
    if feld.anzeigewert is not None or _AUSWAHL.search(name) or _AUSWAHL.search(label):
        return True
    wert = normalisieren(text)
    return bool(wert) and wert in name.split("_")


def antragsteller_aus_feldern(
    felder: list[Feld], muster: Mapping[str, str | re.Pattern[str] | None] | None = None
) -> Antragsteller | None:
    """Search the whole field tree for Antragsteller data by name patterns (then by label patterns).

    Returns None when nothing was found. Choice fields never give a value (:func:`_ist_auswahl`). ``art`` is
    ``organisation`` when a company name was found and either no personal name or a choice field chose a
    company (``person_oder_firma = firma``). A street that contains the house number is split when no house
    number field exists.
    """
    kompiliert = _STANDARD_KOMPILIERT if muster is None else muster_kompilieren(muster)
    alle: list[Feld] = []
    for feld in felder:
        alle.extend(feld.alle())
    # only fields with a value can contribute: (normalized name, normalized label, value); choices cannot
    kandidaten, firma_gewaehlt = [], False
    for f in alle:
        text = _als_text(f)
        if not text:
            continue
        name, label = normalisieren(f.name), normalisieren(f.label or "")
        if _ist_auswahl(f, name, label, text):
            firma_gewaehlt = firma_gewaehlt or normalisieren(text) in _FIRMA_GEWAEHLT
            continue
        kandidaten.append((name, label, text))
    gefunden: dict[str, str] = {}
    for schluessel, regex in kompiliert.items():
        for quelle in (0, 1):  # names first, labels second
            text = next((k[2] for k in kandidaten if k[quelle] and regex.search(k[quelle])), None)
            if text:
                gefunden[schluessel] = text
                break
    if not gefunden:
        return None
    strasse, nummer = gefunden.get("strasse"), gefunden.get("hausnummer")
    if strasse and not nummer:
        strasse, nummer = strasse_aufteilen(strasse)
    person = bool(gefunden.get("vorname") or gefunden.get("nachname"))
    firma = bool(gefunden.get("firmenname")) and (firma_gewaehlt or not person)
    return Antragsteller(
        art="organisation" if firma else "person",
        vorname=gefunden.get("vorname"),
        nachname=gefunden.get("nachname"),
        firmenname=gefunden.get("firmenname"),
        strasse=strasse,
        hausnummer=nummer,
        plz=gefunden.get("plz"),
        ort=gefunden.get("ort"),
        geburtsdatum=datum_lesen(gefunden.get("geburtsdatum")),
        email=gefunden.get("email"),
        telefon=gefunden.get("telefon"),
    )


def antragsteller_ergaenzen(basis: Antragsteller | None, ergaenzung: Antragsteller | None) -> Antragsteller | None:
    """Fill the empty attributes of ``basis`` (account data, trusted) from ``ergaenzung`` (form fields).

    Either may be None; an all-empty result is None.
    """
    if basis is None or basis.ist_leer():
        return ergaenzung if ergaenzung is not None and not ergaenzung.ist_leer() else None
    if ergaenzung is None:
        return basis
    werte = {
        f.name: getattr(ergaenzung, f.name)
        for f in fields(Antragsteller)
        if f.name != "art" and getattr(basis, f.name) in (None, "") and getattr(ergaenzung, f.name) not in (None, "")
    }
    return replace(basis, **werte)
