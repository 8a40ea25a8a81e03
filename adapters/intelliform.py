"""intelliForm backend web service: the SOAP 1.1 ``deposit`` operation (``ApplicationService.xsd``).

The form server posts a whole SOAP envelope. :func:`parse_deposit` turns it into an :class:`Antrag`:
the attachment named by ``primaryDataAttachmentId`` is the myForm XML whose ``t:`` attributes fill the
header, whose ``u:`` attributes (citizen account, e.g. BayernID) fill Antragsteller and Postfach, whose child
elements become the form data tree and whose ``<file id>`` elements reference further attachments.

:func:`deposit_antwort_bauen` and :func:`soap_fault_bauen` build the answers for the HTTP endpoint;
:func:`deposit_bauen` builds a deposit envelope (tests, ``intake replay``/``simulate``).
"""

from __future__ import annotations

import base64
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
            inhalt = base64_dekodieren(
                inhalt_element.text if inhalt_element is not None else None,
                beschreibung,
                max_bytes=max_anhang_bytes,
            )
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


def _namensraum_attribute(element: etree._Element, namensraum: str) -> dict[str, str]:
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
) -> Antrag:
    """Turn a complete SOAP 1.1 deposit envelope into an Antrag.

    Header values come from ``depositData`` first and the myForm ``t:`` attributes second; custom
    parameters, customer/client data, all ``t:`` attributes and all ``u:`` account attributes are kept in
    ``Kopf.extra`` (keys ``custom_parameters``, ``deposit``, ``transaktion``, ``konto``) for routing.
    Antragsteller: account data, gaps filled from form fields matched by ``antragsteller_muster``.
    ``mtom_teile`` resolves MTOM/XOP attachment references (see :func:`deposit_anhaenge_lesen`).
    Raises :class:`AdapterFehler` for every malformed input (see ``docs/adapters.md``).
    """
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
    myform = parse_xml(primaer.inhalt, f"myForm-XML (Anhang {primaer_id!r})")
    transaktion = _namensraum_attribute(myform, TRANSAKTION_NS)
    konto = _namensraum_attribute(myform, BENUTZER_NS)

    transaktions_id = werte["id"] or transaktion.get("id")
    if not transaktions_id:
        raise AdapterFehler(
            "Transaktions-ID fehlt (weder depositData/id noch t:id im myForm-XML)", "transaktions_id_fehlt"
        )

    felder = elemente_zu_feldern(myform, attribut_ns=ASSISTENT_NS)
    _verweise_pruefen(felder, {a.id for a in anhaenge if a.id})

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
        formulardaten=felder,
        anhaenge=[
            anhang_erstellen(a.name, a.content_type, a.inhalt, verweis_id=a.id, max_bytes=max_anhang_bytes)
            for a in anhaenge
        ],
    )


def _verweise_pruefen(felder: list[Feld], vorhandene_ids: set[str]) -> None:
    """Every ``<file id>`` of the form must have a delivered attachment (nothing lost), else AdapterFehler."""
    for feld in felder:
        for f in feld.alle():
            if f.typ == "file" and f.wert not in vorhandene_ids:
                raise AdapterFehler(
                    f"Das Formular verweist auf die Datei {f.label or ''!r} (id {f.wert!r}), "
                    "die im deposit nicht mitgeliefert wurde",
                    "anhang_fehlt",
                )


# --- answers and builders ---------------------------------------------------------------------------------


def _umschlag() -> tuple[etree._Element, etree._Element]:
    """A new SOAP 1.1 envelope and its Body element."""
    umschlag = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    return umschlag, etree.SubElement(umschlag, f"{{{SOAP11_NS}}}Body")


def _eintrag(eltern: etree._Element, tag: str, schluessel: str, wert: str) -> None:
    """Append ``<tag><key>…</key><value>…</value></tag>``."""
    eintrag = etree.SubElement(eltern, tag)
    etree.SubElement(eintrag, "key").text = schluessel
    etree.SubElement(eintrag, "value").text = wert


def _serialisieren(umschlag: etree._Element) -> bytes:
    """Serialize with XML declaration, UTF-8."""
    return etree.tostring(umschlag, xml_declaration=True, encoding="UTF-8")


def deposit_antwort_bauen(custom_parameters: Mapping[str, str] | None = None) -> bytes:
    """The ``depositResponse`` envelope; ``custom_parameters`` (e.g. ``vorgangNummer``) go into ``return``."""
    umschlag, body = _umschlag()
    antwort = etree.SubElement(body, f"{{{BACKEND_NS}}}depositResponse", nsmap={"ns2": BACKEND_NS})
    ergebnis = etree.SubElement(antwort, "return")
    for schluessel, wert in (custom_parameters or {}).items():
        _eintrag(ergebnis, "customParameters", schluessel, str(wert))
    return _serialisieren(umschlag)


def soap_fault_bauen(
    faultstring: str,
    *,
    faultcode: str = "Client",
    fault_id: str | None = None,
    user_message: str | None = None,
) -> bytes:
    """A SOAP 1.1 Fault envelope: ``faultcode`` ``Client`` (the delivery is wrong: do not retry unchanged)
    or ``Server`` (our side failed: retry later), ``faultstring`` the clear reason, and an
    ``ApplicationFault`` detail with ``faultId``/``message``/``userMessage`` per the schema."""
    if faultcode not in ("Client", "Server"):
        raise ValueError(f"faultcode muss Client oder Server sein, nicht {faultcode!r}")
    umschlag, body = _umschlag()
    fault = etree.SubElement(body, f"{{{SOAP11_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap:{faultcode}"
    etree.SubElement(fault, "faultstring").text = faultstring
    detail = etree.SubElement(fault, "detail")
    app_fault = etree.SubElement(detail, f"{{{BACKEND_NS}}}ApplicationFault", nsmap={"ns2": BACKEND_NS})
    if fault_id:
        etree.SubElement(app_fault, "faultId").text = fault_id
    etree.SubElement(app_fault, "message").text = faultstring
    if user_message:
        etree.SubElement(app_fault, "userMessage").text = user_message
    return _serialisieren(umschlag)


def soap_fault_aus_fehler(fehler: AdapterFehler) -> bytes:
    """The Client fault for an AdapterFehler (``faultId`` = its code)."""
    return soap_fault_bauen(fehler.message, faultcode="Client", fault_id=fehler.code)


def deposit_bauen(
    myform_xml: bytes,
    anhaenge: Iterable[DepositAnhang] = (),
    *,
    primaer_id: str = "myForm-xml",
    transaktions_id: str | None = None,
    formular_id: str | None = None,
    formular_name: str | None = None,
    customer: str | None = None,
    customer_id: str | None = None,
    custom_parameters: Mapping[str, str] | None = None,
    zeitstempel: datetime | None = None,
) -> bytes:
    """Build a complete SOAP 1.1 deposit envelope around a myForm XML and further attachments.

    Unset header values are taken from the myForm ``t:`` attributes. The myForm XML is attachment
    ``primaer_id`` (name ``XML-Daten.xml``); each :class:`DepositAnhang` is base64-encoded as given.
    """
    myform = parse_xml(myform_xml, "myForm-XML")
    t = _namensraum_attribute(myform, TRANSAKTION_NS)
    umschlag, body = _umschlag()
    deposit = etree.SubElement(body, f"{{{BACKEND_NS}}}deposit", nsmap={"ns2": BACKEND_NS})
    daten = etree.SubElement(deposit, "data")
    alle = [
        DepositAnhang(
            primaer_id, "XML-Daten.xml", "text/xml", myform_xml, None, {"X-IntelliForm-Original-Name": "XML-Daten.xml"}
        ),
        *anhaenge,
    ]
    for anhang in alle:
        element = etree.SubElement(daten, "attachments")
        for schluessel, wert in anhang.attribute.items():
            _eintrag(element, "attributes", schluessel, wert)
        etree.SubElement(element, "content").text = base64.b64encode(anhang.inhalt).decode("ascii")
        if anhang.content_type:
            etree.SubElement(element, "contentType").text = anhang.content_type
        if anhang.description:
            etree.SubElement(element, "description").text = anhang.description
        if anhang.id:
            etree.SubElement(element, "id").text = anhang.id
        if anhang.name:
            etree.SubElement(element, "name").text = anhang.name
    for schluessel, wert in (custom_parameters or {}).items():
        _eintrag(daten, "customParameters", schluessel, wert)
    einfach = {
        "customer": customer or t.get("customer"),
        "customerId": customer_id or t.get("customer-id"),
        "form": formular_name or t.get("form"),
        "formId": formular_id or t.get("form-id"),
        "id": transaktions_id or t.get("id"),
        "primaryDataAttachmentId": primaer_id,
        "sender": t.get("sender"),
        "timestamp": zeitstempel.isoformat() if zeitstempel else t.get("timestamp"),
    }
    for name, wert in einfach.items():
        if wert:
            etree.SubElement(daten, name).text = wert
    return _serialisieren(umschlag)
