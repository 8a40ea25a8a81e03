"""The OZG-Cloud intake contract: form services that deliver to OZG-Cloud deliver here unchanged.

The HTTP endpoint (``POST /antrag``, ``multipart/form-data``) splits the request and calls
:func:`parse_ozgcloud` with the JSON part ``formData``, the optional part ``representation`` (the form as
PDF) and the repeated parts ``attachment``, each as ``(filename, content_type, bytes)``::

    {"control": {"transactionId": "…", "zustaendigeStelle": "…", "leikaIds": ["…"], "formId": "…",
                 "name": "…", "serviceKonto": {"type": "…", "trustLevel": "…",
                                               "postfachAddress": {"identifier": "…", "type": "…"}}},
     "formData": [{"name": "…", "label": "…", "stringValue" | "numberValue" | "dateValue" | "booleanValue": …,
                   "formItems": [ …same shape… ]}]}

Types are checked strictly; every error names the JSON path (``formData[2].formItems[0].numberValue``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from adapters.anhaenge import anhang_erstellen
from adapters.antrag import MAX_ANHANG_BYTES, AdapterFehler, Antrag, Feld, Kopf
from adapters.antragsteller import antragsteller_aus_feldern
from adapters.grenzen import STANDARD, Grenzen, ObjektZaehler, felder_pruefen

QUELLE = "ozgcloud"
#: ``(filename, content_type, bytes)`` of one multipart part.
Datei = tuple[str | None, str | None, bytes]

WERT_SCHLUESSEL: dict[str, str] = {
    "stringValue": "string",
    "numberValue": "number",
    "dateValue": "date",
    "booleanValue": "boolean",
}
_BEKANNTE_CONTROL = {"transactionId", "zustaendigeStelle", "leikaIds", "formId", "name", "serviceKonto"}
_TYPNAMEN = {
    str: "Text",
    int: "Zahl",
    float: "Zahl",
    bool: "Wahrheitswert",
    list: "Liste",
    dict: "Objekt",
    type(None): "null",
}


def _typname(wert: Any) -> str:
    """German name of a JSON value's type, for error messages."""
    return _TYPNAMEN.get(type(wert), type(wert).__name__)


def _typfehler(pfad: str, erwartet: str, wert: Any) -> AdapterFehler:
    """AdapterFehler ``typ_ungueltig`` naming path, expected and actual type."""
    return AdapterFehler(f"{pfad} muss {erwartet} sein, ist aber {_typname(wert)}", "typ_ungueltig")


def _text(objekt: Mapping[str, Any], schluessel: str, pfad: str, *, pflicht: bool = False) -> str | None:
    """An optional (or required) string member; None/absent gives None."""
    wert = objekt.get(schluessel)
    if wert is None:
        if pflicht:
            raise AdapterFehler(f"{pfad}.{schluessel} fehlt", "feld_fehlt")
        return None
    if not isinstance(wert, str):
        raise _typfehler(f"{pfad}.{schluessel}", "ein Text", wert)
    return wert


def _objekt(wert: Any, pfad: str) -> dict[str, Any]:
    """``wert`` must be a JSON object."""
    if not isinstance(wert, dict):
        raise _typfehler(pfad, "ein Objekt", wert)
    return wert


def json_laden(daten: bytes | str, was: str = "formData", grenzen: Grenzen = STANDARD) -> Any:
    """Decode JSON (UTF-8) or raise AdapterFehler ``json_ungueltig`` naming the position; decoding stops with
    ``zu_viele_felder`` once more objects than ``grenzen`` allow were built."""
    try:
        text = daten.decode("utf-8") if isinstance(daten, bytes | bytearray) else daten
        return json.loads(text, parse_constant=_keine_konstante, object_hook=ObjektZaehler(grenzen, was))
    except UnicodeDecodeError as fehler:
        raise AdapterFehler(f"{was} ist kein UTF-8: {fehler}", "json_ungueltig") from fehler
    except json.JSONDecodeError as fehler:
        raise AdapterFehler(
            f"{was} ist kein gültiges JSON: {fehler.msg} (Zeile {fehler.lineno}, Spalte {fehler.colno})",
            "json_ungueltig",
        ) from fehler
    except RecursionError as fehler:
        raise AdapterFehler(f"{was} ist zu tief verschachtelt", "json_ungueltig") from fehler
    except ValueError as fehler:  # e.g. an integer literal beyond Python's 4300-digit limit
        raise AdapterFehler(f"{was} ist kein verarbeitbares JSON: {fehler}", "json_ungueltig") from fehler


def _keine_konstante(name: str) -> Any:
    """Refuse the non-standard JSON constants NaN/Infinity."""
    raise json.JSONDecodeError(f"{name} ist in JSON nicht erlaubt", name, 0)


def _feld_lesen(roh: Any, pfad: str, tiefe: int, max_tiefe: int) -> Feld:
    """One ``formData`` item (recursively with its ``formItems``)."""
    if tiefe > max_tiefe:
        raise AdapterFehler(f"{pfad}: formItems tiefer als {max_tiefe} Ebenen verschachtelt", "zu_tief_verschachtelt")
    objekt = _objekt(roh, pfad)
    name = _text(objekt, "name", pfad, pflicht=True)
    if not name.strip():
        raise AdapterFehler(f"{pfad}.name ist leer", "feld_fehlt")
    label = _text(objekt, "label", pfad)
    werte = [s for s in WERT_SCHLUESSEL if s in objekt]
    if len(werte) > 1:
        raise AdapterFehler(f"{pfad} hat mehrere Werte ({', '.join(werte)}); erlaubt ist genau einer", "typ_ungueltig")
    kinder_roh = objekt.get("formItems")
    if kinder_roh is not None:
        if not isinstance(kinder_roh, list):
            raise _typfehler(f"{pfad}.formItems", "eine Liste", kinder_roh)
        if werte:
            raise AdapterFehler(f"{pfad} hat sowohl {werte[0]} als auch formItems", "typ_ungueltig")
        kinder = [_feld_lesen(k, f"{pfad}.formItems[{i}]", tiefe + 1, max_tiefe) for i, k in enumerate(kinder_roh)]
        return Feld(name=name, label=label, typ="group", kinder=kinder)
    if not werte:
        return Feld(name=name, label=label, wert=None, typ="string")
    schluessel = werte[0]
    return Feld(
        name=name,
        label=label,
        wert=_wert_pruefen(objekt[schluessel], schluessel, f"{pfad}.{schluessel}"),
        typ=WERT_SCHLUESSEL[schluessel],
    )  # type: ignore[arg-type]


def _wert_pruefen(wert: Any, schluessel: str, pfad: str) -> str | int | float | bool | date | None:
    """Check one typed value against its key; dates become ``datetime.date``."""
    if wert is None:
        return None
    if schluessel == "stringValue":
        if not isinstance(wert, str):
            raise _typfehler(pfad, "ein Text", wert)
        return wert
    if schluessel == "numberValue":
        if isinstance(wert, bool) or not isinstance(wert, int | float) or not math.isfinite(wert):
            raise _typfehler(pfad, "eine Zahl", wert)
        return wert
    if schluessel == "booleanValue":
        if not isinstance(wert, bool):
            raise _typfehler(pfad, "true oder false", wert)
        return wert
    if not isinstance(wert, str):
        raise _typfehler(pfad, "ein Datum als Text (JJJJ-MM-TT)", wert)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", wert):
            return date.fromisoformat(wert)
        return datetime.fromisoformat(wert.replace("Z", "+00:00")).date()
    except ValueError as fehler:
        raise AdapterFehler(f"{pfad}: {wert!r} ist kein gültiges Datum (JJJJ-MM-TT)", "typ_ungueltig") from fehler


def _kopf_lesen(control: dict[str, Any]) -> Kopf:
    """The ``control`` object as Kopf (unknown members go to ``extra['control']``)."""
    transaktions_id = control.get("transactionId")
    if transaktions_id is None or (isinstance(transaktions_id, str) and not transaktions_id.strip()):
        raise AdapterFehler("Transaktions-ID fehlt (control.transactionId)", "transaktions_id_fehlt")
    if not isinstance(transaktions_id, str):
        raise _typfehler("control.transactionId", "ein Text", transaktions_id)
    leika = control.get("leikaIds")
    if leika is None:
        leika = []
    if not isinstance(leika, list):
        raise _typfehler("control.leikaIds", "eine Liste von Texten", leika)
    for i, eintrag in enumerate(leika):
        if not isinstance(eintrag, str):
            raise _typfehler(f"control.leikaIds[{i}]", "ein Text", eintrag)
    konto = control.get("serviceKonto")
    konto = {} if konto is None else _objekt(konto, "control.serviceKonto")
    postfach = konto.get("postfachAddress")
    postfach = {} if postfach is None else _objekt(postfach, "control.serviceKonto.postfachAddress")
    postfach_typ = postfach.get("type")
    if postfach_typ is not None and (isinstance(postfach_typ, bool) or not isinstance(postfach_typ, str | int)):
        raise _typfehler("control.serviceKonto.postfachAddress.type", "ein Text oder eine Zahl", postfach_typ)
    return Kopf(
        quelle=QUELLE,
        transaktions_id=transaktions_id.strip(),
        formular_id=_text(control, "formId", "control"),
        formular_name=_text(control, "name", "control"),
        leika_ids=list(leika),
        zustaendige_stelle=_text(control, "zustaendigeStelle", "control"),
        konto_typ=_text(konto, "type", "control.serviceKonto"),
        vertrauensniveau=_text(konto, "trustLevel", "control.serviceKonto"),
        postfach_adresse=_text(postfach, "identifier", "control.serviceKonto.postfachAddress"),
        postfach_typ=None if postfach_typ is None else str(postfach_typ),
        extra={"control": {k: v for k, v in control.items() if k not in _BEKANNTE_CONTROL}},
    )


def parse_ozgcloud(
    form_data_json: bytes,
    representation: Datei | None = None,
    attachments: Iterable[Datei] = (),
    *,
    max_anhang_bytes: int = MAX_ANHANG_BYTES,
    antragsteller_muster: Mapping[str, str | re.Pattern[str] | None] | None = None,
    grenzen: Grenzen = STANDARD,
) -> Antrag:
    """Turn the parts of one OZG-Cloud delivery into an Antrag.

    The representation becomes attachment ``verweis_id='representation'``, the others ``attachment-1``,
    ``attachment-2`` … in delivery order. The Antragsteller is searched in the form data by
    ``antragsteller_muster`` (see :mod:`adapters.antragsteller`). Raises AdapterFehler ``json_ungueltig``,
    ``typ_ungueltig``, ``feld_fehlt``, ``transaktions_id_fehlt``, ``anhang_zu_gross`` or one of
    :mod:`adapters.grenzen` (field count, nesting, value length).
    """
    dokument = _objekt(json_laden(form_data_json, "formData", grenzen), "formData-JSON")
    if "control" not in dokument:
        raise AdapterFehler("control fehlt im formData-JSON (Transaktions-ID fehlt)", "transaktions_id_fehlt")
    kopf = _kopf_lesen(_objekt(dokument["control"], "control"))
    felder_roh = dokument.get("formData")
    if felder_roh is None:
        felder_roh = []
    if not isinstance(felder_roh, list):
        raise _typfehler("formData", "eine Liste", felder_roh)
    felder = [_feld_lesen(f, f"formData[{i}]", 1, grenzen.max_tiefe) for i, f in enumerate(felder_roh)]
    felder_pruefen(felder, grenzen)

    anhaenge = []
    dateien = [("representation", representation)] if representation is not None else []
    dateien += [(f"attachment-{i}", datei) for i, datei in enumerate(attachments, start=1)]
    for verweis, datei in dateien:
        if not (isinstance(datei, tuple) and len(datei) == 3 and isinstance(datei[2], bytes | bytearray)):
            raise AdapterFehler(f"Teil {verweis!r}: erwartet (Dateiname, Content-Type, Bytes)", "typ_ungueltig")
        name, mime, inhalt = datei
        anhaenge.append(
            anhang_erstellen(
                name or verweis,
                mime,
                inhalt if isinstance(inhalt, bytes) else bytes(inhalt),
                verweis_id=verweis,
                max_bytes=max_anhang_bytes,
            )
        )
    return Antrag(
        kopf=kopf,
        antragsteller=antragsteller_aus_feldern(felder, antragsteller_muster),
        formulardaten=felder,
        anhaenge=anhaenge,
    )


# --- builders ---------------------------------------------------------------------------------------------


def feld_zu_json(feld: Feld) -> dict[str, Any]:
    """One Feld in the contract's ``formData`` item shape (``file`` fields as their id string)."""
    eintrag: dict[str, Any] = {"name": feld.name, "label": feld.label if feld.label is not None else feld.name}
    if feld.typ == "group":
        eintrag["formItems"] = [feld_zu_json(k) for k in feld.kinder]
    elif feld.typ == "date" and isinstance(feld.wert, date):
        eintrag["dateValue"] = feld.wert.isoformat()
    elif feld.typ in ("number", "boolean"):
        eintrag[f"{feld.typ}Value"] = feld.wert
    else:
        eintrag["stringValue"] = None if feld.wert is None else str(feld.wert)
    return eintrag


def felder_aus_dict(werte: Mapping[str, Any]) -> list[Feld]:
    """``{"vorname": "Erika", "anschrift": {"plz": "01067"}, "geboren": date(…)}`` → Feld list (nested
    mappings become groups; value types decide the Feld type)."""
    ergebnis = []
    for name, wert in werte.items():
        if isinstance(wert, Mapping):
            ergebnis.append(Feld(name=name, label=name, typ="group", kinder=felder_aus_dict(wert)))
        elif isinstance(wert, bool):
            ergebnis.append(Feld(name=name, label=name, wert=wert, typ="boolean"))
        elif isinstance(wert, int | float):
            ergebnis.append(Feld(name=name, label=name, wert=wert, typ="number"))
        elif isinstance(wert, date):
            ergebnis.append(
                Feld(name=name, label=name, wert=wert if not isinstance(wert, datetime) else wert.date(), typ="date")
            )
        else:
            ergebnis.append(Feld(name=name, label=name, wert=None if wert is None else str(wert)))
    return ergebnis


def ozgcloud_json_bauen(
    transaktions_id: str,
    felder: Mapping[str, Any] | Iterable[Feld] = (),
    *,
    zustaendige_stelle: str | None = None,
    leika_ids: Iterable[str] = (),
    formular_id: str | None = None,
    formular_name: str | None = None,
    konto_typ: str | None = None,
    vertrauensniveau: str | None = None,
    postfach_adresse: str | None = None,
    postfach_typ: str | None = None,
) -> bytes:
    """Build a ``formData`` JSON part as a form service would send it (tests, ``intake simulate``).

    ``felder`` is a list of Feld or a plain (nested) mapping, see :func:`felder_aus_dict`.
    """
    liste = felder_aus_dict(felder) if isinstance(felder, Mapping) else list(felder)
    control: dict[str, Any] = {"transactionId": transaktions_id, "leikaIds": list(leika_ids)}
    for schluessel, wert in (
        ("zustaendigeStelle", zustaendige_stelle),
        ("formId", formular_id),
        ("name", formular_name),
    ):
        if wert is not None:
            control[schluessel] = wert
    if konto_typ or vertrauensniveau or postfach_adresse:
        konto: dict[str, Any] = {"type": konto_typ, "trustLevel": vertrauensniveau}
        if postfach_adresse:
            konto["postfachAddress"] = {"identifier": postfach_adresse, "type": postfach_typ}
        control["serviceKonto"] = konto
    dokument = {"control": control, "formData": [feld_zu_json(f) for f in liste]}
    return json.dumps(dokument, ensure_ascii=False).encode("utf-8")


def ozgcloud_antwort(
    transaktions_id: str, vorgang_id: str | int, vorgang_nummer: str, status: str, status_seit: datetime
) -> dict[str, Any]:
    """The contract's answer body ``{transactionId, vorgang: {vorgangId, vorgangNummer, status, statusSince}}``
    (the endpoint serializes it with ``jsonify``)."""
    return {
        "transactionId": transaktions_id,
        "vorgang": {
            "vorgangId": str(vorgang_id),
            "vorgangNummer": vorgang_nummer,
            "status": status,
            "statusSince": status_seit.isoformat(),
        },
    }
