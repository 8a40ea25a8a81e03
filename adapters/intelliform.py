"""intelliForm backend web service: the SOAP 1.1 ``deposit`` operation (``ApplicationService.xsd``).

The form server posts a whole SOAP envelope. :func:`parse_deposit` turns it into an :class:`Antrag`:
the attachment named by ``primaryDataAttachmentId`` is the myForm XML whose ``t:`` attributes fill the
header, whose ``u:`` attributes (citizen account, e.g. BayernID) fill Antragsteller and Postfach, whose child
elements become the form data tree and whose ``<file id>`` elements reference further attachments.

The answers for the HTTP endpoint and a deposit builder live in :mod:`adapters.intelliform_soap`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from adapters.anhaenge import anhang_erstellen, base64_dekodieren, groesse_ueberschritten
from adapters.antrag import MAX_ANHANG_BYTES, AdapterFehler, Antrag, Antragsteller, Feld, Kopf, mit_zeitzone
from adapters.antragsteller import (
    antragsteller_aus_feldern,
    antragsteller_ergaenzen,
    datum_lesen,
    strasse_aufteilen,
)
from adapters.grenzen import STANDARD, Grenzen, felder_pruefen, xml_vorpruefen
from adapters.xml import elemente_zu_feldern, kind_elemente, lokaler_name, parse_xml, text_von

QUELLE = "intelliform"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
BACKEND_NS = "http://xmlns.cit.de/intelliform/2009/webservices/backend"
TRANSAKTION_NS = "http://xmlns.cit.de/intelliform/transaction"
BENUTZER_NS = "http://xmlns.cit.de/intelliform/user"
ASSISTENT_NS = "http://xmlns.cit.de/assistants/internal"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"

#: Custom parameters whose value is taken as ``Kopf.zustaendige_stelle`` (first one present wins).
STANDARD_STELLEN_PARAMETER: tuple[str, ...] = (
    "zustaendigeStelle",
    "zustaendige_stelle",
    "organisationseinheit",
)

_DEPOSIT_FELDER = (
    "caller",
    "client",
    "clientId",
    "customer",
    "customerId",
    "form",
    "formId",
    "id",
    "primaryDataAttachmentId",
    "primaryFormAttachmentId",
    "sender",
    "timestamp",
    "username",
)


@dataclass
class DepositAnhang:
    """One ``attachments`` entry of a deposit as delivered (decoded content, before hygiene)."""

    id: str | None
    name: str | None
    content_type: str | None
    inhalt: bytes = field(repr=False)
    description: str | None = None
    attribute: dict[str, str] = field(default_factory=dict)


def _kind(element: etree._Element, name: str) -> etree._Element | None:
    """First child named ``name``, unqualified (as JAX-WS sends it) or in the backend namespace."""
    for kind in kind_elemente(element):
        qname = etree.QName(kind)
        if qname.localname == name and qname.namespace in (None, BACKEND_NS):
            return kind
    return None


def _kinder(element: etree._Element, name: str) -> list[etree._Element]:
    """All children named ``name`` (unqualified or backend namespace)."""
    return [
        k
        for k in kind_elemente(element)
        if etree.QName(k).localname == name and etree.QName(k).namespace in (None, BACKEND_NS)
    ]


def _eintraege(elemente: Iterable[etree._Element]) -> dict[str, str]:
    """``<x><key>k</key><value>v</value></x>`` entries as a dict (entries without key are skipped)."""
    ergebnis: dict[str, str] = {}
    for eintrag in elemente:
        schluessel = text_von(_kind(eintrag, "key"))
        if schluessel is not None:
            ergebnis[schluessel] = text_von(_kind(eintrag, "value")) or ""
    return ergebnis


def _zeitpunkt(text: str | None) -> datetime | None:
    """Read an xs:dateTime (``Z`` allowed); None when absent; AdapterFehler when unreadable."""
    if not text:
        return None
    try:
        return mit_zeitzone(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as fehler:
        raise AdapterFehler(
            f"Ungültiger Zeitstempel {text!r} (xs:dateTime erwartet)", "zeitstempel_ungueltig"
        ) from fehler


def deposit_element_finden(envelope: bytes) -> etree._Element:
    """Parse the envelope (hardened) and return its ``deposit`` element.

    Errors: ``xml_ungueltig``/``xml_doctype`` from the parser, ``soap_version`` for SOAP 1.2,
    ``namespace_falsch`` for a root or body element in the wrong namespace, ``soap_ungueltig`` for a missing
    Body or an empty deposit.
    """
    wurzel = parse_xml(envelope, "SOAP-Umschlag", grosse_textknoten=True)
    qname = etree.QName(wurzel)
    if qname.namespace == SOAP12_NS:
        raise AdapterFehler("SOAP 1.2 wird nicht unterstützt; erwartet wird SOAP 1.1", "soap_version")
    if qname.localname != "Envelope" or qname.namespace != SOAP11_NS:
        raise AdapterFehler(
            f"Kein SOAP-1.1-Umschlag: Wurzelelement ist {wurzel.tag}, erwartet {{{SOAP11_NS}}}Envelope",
            "namespace_falsch",
        )
    body = next((k for k in kind_elemente(wurzel) if k.tag == f"{{{SOAP11_NS}}}Body"), None)
    if body is None:
        raise AdapterFehler("SOAP-Umschlag ohne Body", "soap_ungueltig")
    inhalt = kind_elemente(body)
    if not inhalt:
        raise AdapterFehler("SOAP-Body ist leer, erwartet wird ein deposit", "soap_ungueltig")
    operation = inhalt[0]
    if operation.tag != f"{{{BACKEND_NS}}}deposit":
        if lokaler_name(operation) == "deposit":
            raise AdapterFehler(
                f"deposit im falschen Namespace {etree.QName(operation).namespace!r}, erwartet {BACKEND_NS!r}",
                "namespace_falsch",
            )
        raise AdapterFehler(
            f"Nicht unterstützte SOAP-Operation {operation.tag}, erwartet {{{BACKEND_NS}}}deposit",
            "operation_unbekannt",
        )
    return operation


def deposit_transaktions_id(envelope: bytes) -> str | None:
    """The ``depositData/id`` of an envelope that may fail later on (dedupe of broken deliveries)."""
    daten = _kind(deposit_element_finden(envelope), "data")
    if daten is None:
        return None
    return (text_von(_kind(daten, "id")) or "").strip() or None


def deposit_anhaenge_lesen(
    daten: etree._Element,
    *,
    max_anhang_bytes: int = MAX_ANHANG_BYTES,
    mtom_teile: Mapping[str, bytes] | None = None,
) -> list[DepositAnhang]:
    """Decode every ``attachments`` entry of ``depositData`` (base64 strict, size limit per attachment).

    MTOM/XOP: a ``content`` holding ``<xop:Include href="cid:…"/>`` is resolved from ``mtom_teile``
    (Content-ID without angle brackets → bytes, split off the multipart/related request by the endpoint);
    an unresolvable reference is an AdapterFehler, never an empty attachment.
    """
    ergebnis = []
    for nummer, element in enumerate(_kinder(daten, "attachments"), start=1):
        attribute = _eintraege(_kinder(element, "attributes"))
        name = text_von(_kind(element, "name")) or attribute.get("X-IntelliForm-Original-Name")
        anhang_id = text_von(_kind(element, "id"))
        beschreibung = f"Anhang {name or anhang_id or nummer!r}"
        inhalt_element = _kind(element, "content")
        xop = inhalt_element.find(f"{{{XOP_NS}}}Include") if inhalt_element is not None else None
        if xop is not None:
            inhalt = _mtom_teil(xop.get("href") or "", mtom_teile or {}, beschreibung, max_anhang_bytes)
        else:
            text = inhalt_element.text if inhalt_element is not None else None
            if text is not None:
                inhalt_element.text = None  # frees libxml2's copy of a large attachment before decoding
            inhalt = base64_dekodieren(text, beschreibung, max_bytes=max_anhang_bytes)
            del text
        ergebnis.append(
            DepositAnhang(
                id=anhang_id,
                name=name,
                content_type=text_von(_kind(element, "contentType")),
                inhalt=inhalt,
                description=text_von(_kind(element, "description")),
                attribute=attribute,
            )
        )
    return ergebnis


def _mtom_teil(href: str, teile: Mapping[str, bytes], beschreibung: str, max_bytes: int) -> bytes:
    """The MTOM part an ``xop:Include href="cid:…"`` points to."""
    cid = urllib.parse.unquote(href.removeprefix("cid:")).strip("<>")
    if cid not in teile:
        raise AdapterFehler(f"{beschreibung}: MTOM-Teil {href!r} wurde nicht mitgeliefert", "mtom_teil_fehlt")
    if len(teile[cid]) > max_bytes:
        raise groesse_ueberschritten(beschreibung, len(teile[cid]), max_bytes)
    return teile[cid]


def _konto_antragsteller(konto: Mapping[str, str]) -> Antragsteller | None:
    """Antragsteller from the ``u:`` account attributes (BayernID/BundID/company account)."""

    def erster(*namen: str) -> str | None:
        """The first non-empty account attribute among ``namen``."""
        for name in namen:
            wert = (konto.get(name) or "").strip()
            if wert:
                return wert
        return None

    strasse, nummer = strasse_aufteilen(erster("street", "streetAddress", "postalAddress"))
    nummer = erster("houseNumber", "streetNumber") or nummer
    firma = erster("organizationName", "companyName", "o", "organisation")
    vorname, nachname = erster("givenName", "firstName"), erster("surname", "sn", "lastName")
    ergebnis = Antragsteller(
        art="organisation" if firma and not (vorname or nachname) else "person",
        vorname=vorname,
        nachname=nachname,
        firmenname=firma,
        strasse=strasse,
        hausnummer=nummer,
        plz=erster("postalCode", "zipCode"),
        ort=erster("localityName", "l", "city"),
        geburtsdatum=datum_lesen(erster("birthdate", "dateOfBirth")),
        email=erster("mail", "EmailAddress", "email"),
        telefon=erster("telephoneNumber", "phone", "mobile"),
    )
    return None if ergebnis.ist_leer() else ergebnis


def namensraum_attribute(element: etree._Element, namensraum: str) -> dict[str, str]:
    """The element's attributes in ``namensraum`` as ``{localname: value}``."""
    praefix = f"{{{namensraum}}}"
    return {name[len(praefix) :]: wert for name, wert in element.attrib.items() if name.startswith(praefix)}


def parse_deposit(
    envelope: bytes,
    *,
    max_anhang_bytes: int = MAX_ANHANG_BYTES,
    antragsteller_muster: Mapping[str, str | re.Pattern[str] | None] | None = None,
    stellen_parameter: Iterable[str] = STANDARD_STELLEN_PARAMETER,
    mtom_teile: Mapping[str, bytes] | None = None,
    grenzen: Grenzen = STANDARD,
) -> Antrag:
    """Turn a complete SOAP 1.1 deposit envelope into an Antrag.

    Header values come from ``depositData`` first and the myForm ``t:`` attributes second; custom
    parameters, customer/client data, all ``t:`` attributes and all ``u:`` account attributes are kept in
    ``Kopf.extra`` (keys ``custom_parameters``, ``deposit``, ``transaktion``, ``konto``) for routing.
    Antragsteller: account data, gaps filled from form fields matched by ``antragsteller_muster``.
    ``mtom_teile`` resolves MTOM/XOP attachment references (see :func:`deposit_anhaenge_lesen`).
    Raises :class:`AdapterFehler` for every malformed input (see ``docs/adapters.md``) and for forms beyond
    ``grenzen``.
    """
    xml_vorpruefen(envelope, grenzen, "Der SOAP-Umschlag")
    deposit = deposit_element_finden(envelope)
    daten = _kind(deposit, "data")
    if daten is None:
        raise AdapterFehler("deposit ohne data-Element", "soap_ungueltig")
    werte = {name: text_von(_kind(daten, name)) for name in _DEPOSIT_FELDER}
    parameter = _eintraege(_kinder(daten, "customParameters"))
    anhaenge = deposit_anhaenge_lesen(daten, max_anhang_bytes=max_anhang_bytes, mtom_teile=mtom_teile)

    primaer_id = werte["primaryDataAttachmentId"]
    if not primaer_id:
        raise AdapterFehler("primaryDataAttachmentId fehlt im deposit", "primaerdaten_fehlen")
    primaer = next((a for a in anhaenge if a.id == primaer_id), None)
    if primaer is None:
        raise AdapterFehler(
            f"Kein Anhang mit der primaryDataAttachmentId {primaer_id!r} im deposit", "primaerdaten_fehlen"
        )
    xml_vorpruefen(primaer.inhalt, grenzen, "Das myForm-XML")
    myform = parse_xml(primaer.inhalt, f"myForm-XML (Anhang {primaer_id!r})")
    transaktion = namensraum_attribute(myform, TRANSAKTION_NS)
    konto = namensraum_attribute(myform, BENUTZER_NS)

    transaktions_id = werte["id"] or transaktion.get("id")
    if not transaktions_id:
        raise AdapterFehler(
            "Transaktions-ID fehlt (weder depositData/id noch t:id im myForm-XML)", "transaktions_id_fehlt"
        )

    felder = elemente_zu_feldern(myform, attribut_ns=ASSISTENT_NS)
    felder_pruefen(felder, grenzen)

    stelle = next((parameter[p] for p in stellen_parameter if parameter.get(p)), None)
    konto_typ = konto.get("accountSource") or None
    postfach = konto.get("postOfficeBox") or konto.get("legacyPostkorbHandle") or None
    kopf = Kopf(
        quelle=QUELLE,
        transaktions_id=transaktions_id,
        formular_id=werte["formId"] or transaktion.get("form-id"),
        formular_name=werte["form"] or transaktion.get("form"),
        leika_ids=[
            p.strip() for p in (parameter.get("leikaIds") or parameter.get("leikaId") or "").split(",") if p.strip()
        ],
        zustaendige_stelle=stelle,
        eingegangen_am=_zeitpunkt(werte["timestamp"]) or _zeitpunkt(transaktion.get("timestamp")),
        konto_typ=konto_typ,
        vertrauensniveau=transaktion.get("effective-login-level")
        or parameter.get("X-intelliForm-effective-login-level")
        or konto.get("authlevel")
        or None,
        postfach_adresse=postfach,
        postfach_typ=konto_typ if postfach else None,
        mandant=werte["customerId"] or transaktion.get("customer-id") or werte["customer"],
        extra={
            "deposit": {k: v for k, v in werte.items() if v is not None},
            "custom_parameters": parameter,
            "transaktion": transaktion,
            "konto": konto,
        },
    )
    antragsteller = antragsteller_ergaenzen(
        _konto_antragsteller(konto), antragsteller_aus_feldern(felder, antragsteller_muster)
    )
    return Antrag(
        kopf=kopf,
        antragsteller=antragsteller,
        hinweise=_fehlende_verweise(felder, {a.id for a in anhaenge if a.id}),
        formulardaten=felder,
        anhaenge=[
            anhang_erstellen(a.name, a.content_type, a.inhalt, verweis_id=a.id, max_bytes=max_anhang_bytes)
            for a in anhaenge
        ],
    )


def _fehlende_verweise(felder: list[Feld], vorhandene_ids: set[str]) -> list[str]:
    """A warning for every ``<file id>`` of the form that the deposit does not carry: the application is still
    taken (a citizen's application must reach a caseworker), the gap is shown on Eingang and Vorgang."""
    hinweise = []
    for feld in felder:
        for f in feld.alle():
            if f.typ == "file" and f.wert not in vorhandene_ids:
                hinweise.append(
                    f"Das Formular verweist auf die Datei {f.label or ''!r} (id {f.wert!r}), "
                    "die im deposit nicht mitgeliefert wurde"
                )
    return hinweise
