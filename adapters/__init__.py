"""Form-service adapters: raw bytes of one delivery in, one uniform :class:`Antrag` out.

Pure Python (lxml, filetype, stdlib): no Flask, no database. Every malformed input raises
:class:`AdapterFehler` with a German message naming the problem, a stable ``code`` and the HTTP status an
endpoint should answer with (400, or 413 for size limits).

Entry points (details in ``docs/adapters.md``):

- :func:`adapters.intelliform.parse_deposit` — intelliForm SOAP 1.1 ``deposit`` envelope
- :func:`adapters.ozgcloud.parse_ozgcloud` — OZG-Cloud intake contract (multipart parts)
- :func:`adapters.formsolutions.parse_submission` (its HTTP client: :mod:`adapters.formsolutions_client`)
- :func:`adapters.fitconnect.parse_fitconnect` — decrypted FIT-Connect submission
"""

from adapters.antrag import (
    MAX_ANHANG_BYTES,
    AdapterFehler,
    Anhang,
    Antrag,
    Antragsteller,
    Feld,
    Kopf,
)
from adapters.fitconnect import parse_fitconnect
from adapters.formsolutions import FormSolutionsOptionen, parse_submission
from adapters.intelliform import parse_deposit
from adapters.ozgcloud import parse_ozgcloud

__all__ = [
    "MAX_ANHANG_BYTES",
    "AdapterFehler",
    "Anhang",
    "Antrag",
    "Antragsteller",
    "Feld",
    "FormSolutionsOptionen",
    "Kopf",
    "parse_deposit",
    "parse_fitconnect",
    "parse_ozgcloud",
    "parse_submission",
]
