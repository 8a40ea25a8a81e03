"""Builders of Form-Solutions submission objects as the documented API delivers them (tests, stand-in server)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any


def submission_bauen(
    trans_id: str,
    *,
    identifier: str | None = None,
    formular_xml: bytes | None = None,
    pdf: bytes | None = None,
    anhaenge: Iterable[tuple[str, str, bytes]] = (),
    secure_data: Mapping[str, str] | None = None,
    status: str = "NEW",
    eingereicht_am: datetime | None = None,
    **weitere: Any,
) -> dict[str, Any]:
    """A detail-view submission object as the documented API delivers it:
    contents base64, attachments as ``{name, mimeType, content}``, date in epoch ms."""
    zeit = eingereicht_am or datetime.now(UTC)

    def b64(inhalt: bytes | None) -> str | None:
        """Base64 text, or None for absent content."""
        return None if inhalt is None else base64.b64encode(inhalt).decode("ascii")

    objekt: dict[str, Any] = {
        "transID": trans_id,
        "identifier": identifier or trans_id.rsplit("-", 1)[0],
        "status": status,
        "options": {"submissionType": "REGULAR", "paymentType": "NONE", "npa": False},
        "payload": None,
        "submissionDate": int(zeit.timestamp() * 1000),
        "pdf": b64(pdf),
        "xml": b64(formular_xml),
        "attachments": [{"name": n, "mimeType": m, "content": b64(c)} for n, m, c in anhaenge] or None,
    }
    if secure_data is not None:
        objekt["secureData"] = dict(secure_data)
    objekt.update(weitere)
    return objekt


def metadaten(submission: Mapping[str, Any]) -> dict[str, Any]:
    """The list-view form of a submission: ``pdf``, ``xml``, ``attachments`` null."""
    return {**submission, "pdf": None, "xml": None, "attachments": None}
