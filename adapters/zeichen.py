"""Text hygiene of a parsed Antrag: characters a database cannot keep.

A NUL (U+0000) inside a value is no reason to refuse an application: it becomes U+FFFD in the parsed data
and a warning names the field (never the value). A NUL or control character in the transaction id, and a lone
surrogate (``\\ud800`` from a JSON escape) anywhere, make the delivery unusable: AdapterFehler (400).
"""

from __future__ import annotations

import re
from typing import Any

from adapters.antrag import ANTRAGSTELLER_FELDER, AdapterFehler, Antrag, Feld

_NUL = "\x00"
_SURROGAT = re.compile("[\ud800-\udfff]")
_UNLESBAR = re.compile("[\x00\ud800-\udfff]")
_STEUERZEICHEN = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def lesbar(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD: safe to store, log and encode as UTF-8."""
    return _UNLESBAR.sub("\ufffd", text)


def _pruefen(text: str, wo: str, hinweise: list[str]) -> str:
    """One string of the Antrag: lone surrogate → AdapterFehler; NUL → U+FFFD plus a warning."""
    if _SURROGAT.search(text):
        raise AdapterFehler(
            f"{wo} enthält ein einzelnes UTF-16-Ersatzzeichen (Surrogat), das kein gültiges Unicode ist",
            "text_ungueltig",
        )
    if _NUL in text:
        hinweise.append(f"Nullzeichen (U+0000) in {wo} durch U+FFFD ersetzt")
        return text.replace(_NUL, "\ufffd")
    return text


def _wert(wert: Any, wo: str, hinweise: list[str]) -> Any:
    """A JSON-like value (str, list, dict) with every string checked."""
    if isinstance(wert, str):
        return _pruefen(wert, wo, hinweise)
    if isinstance(wert, list):
        return [_wert(w, wo, hinweise) for w in wert]
    if isinstance(wert, dict):
        return {_pruefen(str(k), wo, hinweise): _wert(w, wo, hinweise) for k, w in wert.items()}
    return wert


def _feld(feld: Feld, pfad: str, hinweise: list[str]) -> None:
    """A Feld and its children, in place."""
    name = lesbar(feld.name)
    wo = f"Feld {pfad}{name!r}"
    feld.name = _pruefen(feld.name, wo, hinweise)
    if feld.label is not None:
        feld.label = _pruefen(feld.label, wo, hinweise)
    if isinstance(feld.wert, str):
        feld.wert = _pruefen(feld.wert, wo, hinweise)
    if feld.anzeigewert is not None:
        feld.anzeigewert = _pruefen(feld.anzeigewert, wo, hinweise)
    for kind in feld.kinder:
        _feld(kind, f"{pfad}{name}.", hinweise)


def antrag_bereinigen(antrag: Antrag) -> None:
    """Check every string of ``antrag`` (see module docstring), replace NULs in place and add the warnings
    to ``antrag.hinweise``. Raises AdapterFehler ``transaktions_id_ungueltig`` or ``text_ungueltig``."""
    kopf = antrag.kopf
    if _STEUERZEICHEN.search(kopf.transaktions_id):
        raise AdapterFehler(
            "Die Transaktions-ID enthält Steuerzeichen (z. B. U+0000) oder ungültiges Unicode",
            "transaktions_id_ungueltig",
        )
    hinweise: list[str] = []
    for name in (
        "formular_id",
        "formular_name",
        "zustaendige_stelle",
        "konto_typ",
        "vertrauensniveau",
        "postfach_adresse",
        "postfach_typ",
        "mandant",
    ):
        wert = getattr(kopf, name)
        if isinstance(wert, str):
            setattr(kopf, name, _pruefen(wert, f"Kopfdaten {name}", hinweise))
    kopf.leika_ids = [_pruefen(w, "Kopfdaten leika_ids", hinweise) for w in kopf.leika_ids]
    kopf.extra = _wert(kopf.extra, "Kopfdaten extra", hinweise)
    if antrag.antragsteller is not None:
        for name in ANTRAGSTELLER_FELDER:
            wert = getattr(antrag.antragsteller, name)
            if isinstance(wert, str):
                setattr(antrag.antragsteller, name, _pruefen(wert, f"Antragsteller {name}", hinweise))
    for feld in antrag.formulardaten:
        _feld(feld, "", hinweise)
    for anhang in antrag.anhaenge:
        anhang.dateiname = _pruefen(anhang.dateiname, "einem Anhang-Dateinamen", hinweise)
        if anhang.mime_deklariert is not None:
            anhang.mime_deklariert = _pruefen(anhang.mime_deklariert, "einem Anhang-Typ", hinweise)
    antrag.hinweise.extend(dict.fromkeys(hinweise))
