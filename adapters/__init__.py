"""Form-service adapters: raw bytes of one delivery in, one uniform :class:`Antrag` out.

Pure Python (lxml, filetype, stdlib): no Flask, no database. Every malformed input raises
:class:`AdapterFehler` with a German message naming the problem and a stable ``code``.

Sources: :mod:`adapters.intelliform` (SOAP deposit), :mod:`adapters.ozgcloud` (OZG-Cloud intake contract),
:mod:`adapters.formsolutions` (Submission-API: parser and HTTP client). See ``docs/adapters.md``.
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

__all__ = [
    "MAX_ANHANG_BYTES",
    "AdapterFehler",
    "Anhang",
    "Antrag",
    "Antragsteller",
    "Feld",
    "Kopf",
]
