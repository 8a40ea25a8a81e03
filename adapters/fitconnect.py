"""FIT-Connect: map a *decrypted* submission (metadata document, data, attachments) to an Antrag.

Fetching and decrypting (JWE) is the receiving client's job; this module only reads the plain documents:
the metadata gives the header (public service → form id/name and LeiKa id, sender reference, reply channel
→ Postfach) and declares every attachment with a SHA-512 hash, which is checked here — a missing,
undeclared or altered file is an error, never silently dropped. JSON or XML data becomes the form data tree.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from adapters.anhaenge import anhang_erstellen
from adapters.antrag import MAX_ANHANG_BYTES, AdapterFehler, Anhang, Antrag, Feld, Kopf
from adapters.antragsteller import antragsteller_aus_feldern
from adapters.ozgcloud import json_laden
from adapters.xml import elemente_zu_feldern, parse_xml

QUELLE = "fitconnect"
_LEIKA = re.compile(r"^urn:de:fim:leika:leistung:(\d{14})$")
_ISO_DATUM = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _objekt(wert: Any, pfad: str) -> Mapping[str, Any]:
    """``wert`` must be an object (None counts as empty)."""
    if wert is None:
        return {}
    if not isinstance(wert, Mapping):
        raise AdapterFehler(f"{pfad} muss ein Objekt sein", "typ_ungueltig")
    return wert


def _postfach(antwortkanal: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The preferred reply channel as (address, type): FINK mailbox, De-Mail, ELSTER, e-mail."""
    kandidaten = (
        ("fink", "mailboxUri", "FINK"),
        ("deMail", "address", "De-Mail"),
        ("elster", "accountId", "ELSTER"),
        ("eMail", "address", "E-Mail"),
    )
    for kanal, schluessel, typ in kandidaten:
        wert = _objekt(antwortkanal.get(kanal), f"replyChannel.{kanal}").get(schluessel)
        if isinstance(wert, str) and wert.strip():
            return wert.strip(), typ
    return None, None


#: Members of a public RSA JWK kept from ``replyChannel.fitConnect.encryptionPublicKey`` (never private parts).
_JWK_OEFFENTLICH = ("kty", "kid", "alg", "use", "key_ops", "n", "e", "x5c")


def rueckkanal_fitconnect(antwortkanal: Mapping[str, Any]) -> dict[str, Any] | None:
    """The FIT-Connect reply channel (metadata 1.2.0: ``replyChannel.fitConnect``) as {process_standards,
    encryption_public_key}: the public RSA key the online service wants replies encrypted with. None without one."""
    kanal = _objekt(antwortkanal.get("fitConnect"), "replyChannel.fitConnect")
    if not kanal:
        return None
    schluessel = _objekt(kanal.get("encryptionPublicKey"), "replyChannel.fitConnect.encryptionPublicKey")
    if schluessel.get("kty") != "RSA" or not all(isinstance(schluessel.get(k), str) for k in ("n", "e")):
        raise AdapterFehler(
            "replyChannel.fitConnect.encryptionPublicKey ist kein öffentlicher RSA-Schlüssel", "typ_ungueltig"
        )
    standards = kanal.get("processStandards") or []
    if not isinstance(standards, list) or not all(isinstance(s, str) for s in standards):
        raise AdapterFehler("replyChannel.fitConnect.processStandards muss eine Liste von Texten sein", "typ_ungueltig")
    return {
        "process_standards": standards,
        "encryption_public_key": {k: schluessel[k] for k in _JWK_OEFFENTLICH if k in schluessel},
    }


def kopf_aus_metadaten(
    metadaten: bytes | Mapping[str, Any],
    *,
    submission_id: str | None = None,
    case_id: str | None = None,
    destination_id: str | None = None,
) -> Kopf:
    """The Kopf of a FIT-Connect submission from its decrypted metadata document.

    ``transaktions_id`` is the FIT-Connect ``submission_id`` (unique per delivery), else the
    ``senderReference``. ``destination_id`` (the receiving Zustellpunkt) becomes ``zustaendige_stelle``.
    """
    dokument = _objekt(
        json_laden(metadaten, "Metadaten") if isinstance(metadaten, bytes | str) else metadaten, "Metadaten"
    )
    referenz = _objekt(dokument.get("additionalReferenceInfo"), "additionalReferenceInfo")
    dienst = _objekt(dokument.get("publicServiceType"), "publicServiceType")
    transaktions_id = submission_id or referenz.get("senderReference")
    if not isinstance(transaktions_id, str) or not transaktions_id.strip():
        raise AdapterFehler("Transaktions-ID fehlt (submissionId oder senderReference)", "transaktions_id_fehlt")
    kennung = dienst.get("identifier") if isinstance(dienst.get("identifier"), str) else None
    leika = _LEIKA.match(kennung or "")
    antwortkanal = _objekt(dokument.get("replyChannel"), "replyChannel")
    adresse, typ = _postfach(antwortkanal)
    sender = _objekt(referenz.get("x-sender"), "x-sender")
    anhaenge = _deklarierte_anhaenge(dokument)
    return Kopf(
        quelle=QUELLE,
        transaktions_id=transaktions_id.strip(),
        formular_id=kennung,
        formular_name=dienst.get("name") if isinstance(dienst.get("name"), str) else None,
        leika_ids=[leika.group(1)] if leika else [],
        zustaendige_stelle=destination_id,
        postfach_adresse=adresse,
        postfach_typ=typ,
        konto_typ=_konto_typ(dokument),
        extra={
            k: v
            for k, v in {
                "case_id": case_id,
                "destination_id": destination_id,
                "reply_channel": rueckkanal_fitconnect(antwortkanal),
                "sender_reference": referenz.get("senderReference"),
                "application_date": referenz.get("applicationDate"),
                "sender": {"name": sender.get("name"), "address": sender.get("address")} if sender else None,
                "applicant_login": referenz.get("x-applicant"),
                "attachments": [
                    {s: a.get(s) for s in ("attachmentId", "purpose", "mimeType", "filename", "description")}
                    for a in anhaenge
                    if isinstance(a, Mapping)
                ],
                "payment": dokument.get("paymentInformation"),
            }.items()
            if v not in (None, [], {})
        },
    )


def _deklarierte_anhaenge(metadaten: Mapping[str, Any]) -> list[Any]:
    """``contentStructure.attachments`` (absent → empty), which must be a list."""
    deklariert = _objekt(metadaten.get("contentStructure"), "contentStructure").get("attachments")
    if deklariert is None:
        return []
    if not isinstance(deklariert, list):
        raise AdapterFehler("contentStructure.attachments muss eine Liste sein", "typ_ungueltig")
    return deklariert


def _konto_typ(dokument: Mapping[str, Any]) -> str | None:
    """The type of the first authentication information entry (e.g. ``identificationReport``)."""
    info = dokument.get("authenticationInformation")
    if isinstance(info, list) and info and isinstance(info[0], Mapping) and isinstance(info[0].get("type"), str):
        return info[0]["type"]
    return None


def _hash_pruefen(erwartet: Any, inhalt: bytes, was: str) -> None:
    """Compare a metadata ``hash`` object ``{type: sha512, content: hex}`` with the content."""
    hash_ = _objekt(erwartet, f"{was}.hash")
    if not hash_:
        return
    if hash_.get("type") != "sha512" or not isinstance(hash_.get("content"), str):
        raise AdapterFehler(
            f"{was}: nicht unterstützter Hash {hash_.get('type')!r} (sha512 erwartet)", "hash_ungueltig"
        )
    if not hmac.compare_digest(hashlib.sha512(inhalt).hexdigest(), hash_["content"].lower()):
        raise AdapterFehler(f"{was}: SHA-512-Prüfsumme stimmt nicht mit den Metadaten überein", "hash_falsch")


def anhaenge_pruefen(
    metadaten: Mapping[str, Any], dateien: Mapping[str, bytes], *, max_anhang_bytes: int = MAX_ANHANG_BYTES
) -> list[Anhang]:
    """Every attachment declared in ``contentStructure.attachments`` must be delivered with a matching
    SHA-512; every delivered file must be declared. Returns the Anhänge in declaration order."""
    ergebnis, gesehen = [], set()
    for i, eintrag in enumerate(_deklarierte_anhaenge(metadaten)):
        eintrag = _objekt(eintrag, f"contentStructure.attachments[{i}]")
        anhang_id = eintrag.get("attachmentId")
        if not isinstance(anhang_id, str) or not anhang_id:
            raise AdapterFehler(f"contentStructure.attachments[{i}]: attachmentId fehlt", "typ_ungueltig")
        name = eintrag.get("filename") or eintrag.get("description") or anhang_id
        if anhang_id not in dateien:
            raise AdapterFehler(f"Anhang {name!r} ({anhang_id}) ist deklariert, aber nicht geliefert", "anhang_fehlt")
        _hash_pruefen(eintrag.get("hash"), dateien[anhang_id], f"Anhang {name!r}")
        gesehen.add(anhang_id)
        ergebnis.append(
            anhang_erstellen(
                str(name), eintrag.get("mimeType"), dateien[anhang_id], verweis_id=anhang_id, max_bytes=max_anhang_bytes
            )
        )
    unerwartet = sorted(set(dateien) - gesehen)
    if unerwartet:
        raise AdapterFehler(f"Nicht in den Metadaten deklarierte Anhänge: {', '.join(unerwartet)}", "anhang_unerwartet")
    return ergebnis


def json_zu_feldern(wert: Any, name: str = "daten") -> list[Feld]:
    """A decoded JSON document as Feld list: objects and arrays become groups (array items named
    ``name[i]``), strings/numbers/booleans/null typed; ``YYYY-MM-DD`` strings become dates."""
    if isinstance(wert, Mapping):
        return [_json_feld(k, v) for k, v in wert.items()]
    if isinstance(wert, list):
        return [_json_feld(f"{name}[{i}]", v) for i, v in enumerate(wert)]
    return [_json_feld(name, wert)]


def _json_feld(name: str, wert: Any) -> Feld:
    """One JSON member as Feld."""
    if isinstance(wert, Mapping | list):
        return Feld(name=name, typ="group", kinder=json_zu_feldern(wert, name))
    if isinstance(wert, bool):
        return Feld(name=name, wert=wert, typ="boolean")
    if isinstance(wert, int | float):
        return Feld(name=name, wert=wert, typ="number")
    if isinstance(wert, str) and _ISO_DATUM.match(wert):
        try:
            return Feld(name=name, wert=date.fromisoformat(wert), typ="date")
        except ValueError:
            pass
    return Feld(name=name, wert=None if wert is None else str(wert))


def parse_fitconnect(
    metadaten: bytes | Mapping[str, Any],
    daten: bytes | None = None,
    anhaenge: Mapping[str, bytes] | None = None,
    *,
    submission_id: str | None = None,
    case_id: str | None = None,
    destination_id: str | None = None,
    max_anhang_bytes: int = MAX_ANHANG_BYTES,
    antragsteller_muster: Mapping[str, Any] | None = None,
) -> Antrag:
    """A decrypted FIT-Connect submission as Antrag: header from the metadata, the data (JSON or XML per
    ``contentStructure.data.submissionSchema.mimeType``, hash-checked) as form data, the attachments checked
    against their declared hashes, the Antragsteller found in the data by name patterns."""
    dokument = _objekt(
        json_laden(metadaten, "Metadaten") if isinstance(metadaten, bytes | str) else metadaten, "Metadaten"
    )
    kopf = kopf_aus_metadaten(dokument, submission_id=submission_id, case_id=case_id, destination_id=destination_id)
    felder: list[Feld] = []
    if daten is not None:
        beschreibung = _objekt(_objekt(dokument.get("contentStructure"), "contentStructure").get("data"), "data")
        _hash_pruefen(beschreibung.get("hash"), daten, "Fachdaten")
        schema = _objekt(beschreibung.get("submissionSchema"), "submissionSchema")
        mime = str(schema.get("mimeType") or "application/json")
        if "xml" in mime:
            felder = elemente_zu_feldern(parse_xml(daten, "Fachdaten (XML)"))
        else:
            felder = json_zu_feldern(json_laden(daten, "Fachdaten (JSON)"))
    return Antrag(
        kopf=kopf,
        antragsteller=antragsteller_aus_feldern(felder, antragsteller_muster),
        formulardaten=felder,
        anhaenge=anhaenge_pruefen(dokument, anhaenge or {}, max_anhang_bytes=max_anhang_bytes),
    )
