"""Answers of the intelliForm ``deposit`` operation (depositResponse, SOAP faults) and a deposit builder.

The HTTP endpoint answers with :func:`deposit_antwort_bauen` and :func:`soap_fault_bauen`; :func:`deposit_bauen`
builds a complete deposit envelope as a form server sends it (tests, ``intake simulate``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime

from lxml import etree

from adapters.antrag import AdapterFehler
from adapters.intelliform import (
    BACKEND_NS,
    SOAP11_NS,
    TRANSAKTION_NS,
    DepositAnhang,
    namensraum_attribute,
)
from adapters.xml import parse_xml


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
    t = namensraum_attribute(myform, TRANSAKTION_NS)
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
