"""Attachment hygiene shared by all adapters: base64 decoding with a size limit, file name sanitizing,
MIME sniffing (``filetype`` plus content heuristics for text, XML, HTML, SVG, PDF) and the danger flag.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata

import filetype

from adapters.antrag import MAX_ANHANG_BYTES, AdapterFehler, Anhang

OCTET_STREAM = "application/octet-stream"

#: MIME types that must never be served inline (script-capable or executable).
GEFAEHRLICHE_MIME_TYPEN = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-executable",
        "application/x-elf",
        "application/x-mach-binary",
        "application/x-sharedlib",
        "application/x-msi",
        "application/x-ms-installer",
        "application/java-archive",
        "application/x-java-archive",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-bat",
        "application/hta",
        "application/x-httpd-php",
        "application/x-shockwave-flash",
        "application/vnd.microsoft.portable-executable",
        "text/x-script.python",
    }
)

#: File name extensions that are dangerous whatever the content says.
GEFAEHRLICHE_ENDUNGEN = frozenset(
    {
        "htm",
        "html",
        "xhtml",
        "shtml",
        "svg",
        "svgz",
        "js",
        "mjs",
        "jse",
        "vbs",
        "vbe",
        "wsf",
        "wsh",
        "hta",
        "exe",
        "dll",
        "com",
        "scr",
        "pif",
        "msi",
        "msp",
        "bat",
        "cmd",
        "ps1",
        "psm1",
        "sh",
        "bash",
        "jar",
        "class",
        "php",
        "phtml",
        "py",
        "pl",
        "rb",
        "cpl",
        "lnk",
        "reg",
        "swf",
        "appimage",
        "apk",
    }
)

# Aliases that name the same format; compared after normalizing.
_MIME_ALIASE = {
    "application/x-pdf": "application/pdf",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "text/xml": "application/xml",
    "application/x-zip-compressed": "application/zip",
    "image/x-png": "image/png",
}

# Container formats whose sniffed type is generic while the declared one is more specific.
_CONTAINER = {
    "application/zip": (
        "application/vnd.openxmlformats",
        "application/vnd.oasis.opendocument",
        "application/epub+zip",
        "application/java-archive",
    ),
    "application/x-ole-storage": ("application/msword", "application/vnd.ms-"),
    "application/xml": ("application/", "image/svg+xml", "text/"),
    "text/plain": ("text/", "application/json", "application/csv", "application/x-"),
}

_RESERVIERT_WINDOWS = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_VERBOTENE_ZEICHEN = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_HTML_MERKMALE = re.compile(
    rb"<\s*(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|script[\s>]|iframe[\s>]|object[\s>]|embed[\s>])",
    re.IGNORECASE,
)
_XML_SKRIPT = re.compile(
    rb"<\s*([a-z0-9_-]+:)?script[\s>/]|javascript:|http://www\.w3\.org/1999/xhtml"
    rb"|\son(load|error|click|dblclick|mouse[a-z]*|focus[a-z]*|blur|change|submit|key[a-z]*|begin|end|activate"
    rb"|abort|animation[a-z]*|pointer[a-z]*|toggle|input|select|wheel)\s*="
    rb"|<!entity|<\?xml-stylesheet",
    re.IGNORECASE,
)
_SNIFF_BYTES = 64 * 1024
_STEUERZEICHEN = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_LEERRAUM = b" \t\r\n\x0b\x0c"
_LEERRAUM_ZEICHEN = " \t\r\n\x0b\x0c"
_LEERRAUM_TEXT = dict.fromkeys(map(ord, _LEERRAUM_ZEICHEN))


def base64_dekodieren(text: str | bytes | None, beschreibung: str, *, max_bytes: int = MAX_ANHANG_BYTES) -> bytes:
    """Decode strict base64 (whitespace and line breaks allowed), checking the size limit first.

    Raises AdapterFehler ``base64_ungueltig`` naming ``beschreibung`` (e.g. ``Anhang 'foto.jpg'``), or
    ``anhang_zu_gross`` (HTTP 413) when the decoded size would exceed ``max_bytes``.
    """
    if text is None:
        return b""
    # no copies of a large attachment beyond the one the decoder makes: a str is decoded as it is (ASCII only),
    # whitespace removed only when there is some (`in` scans in C, far faster than a regex over a large attachment)
    if isinstance(text, str):
        kompakt = text.translate(_LEERRAUM_TEXT) if any(z in text for z in _LEERRAUM_ZEICHEN) else text
    else:
        kompakt = bytes(text).translate(None, _LEERRAUM)
    geschaetzt = len(kompakt) // 4 * 3
    if geschaetzt - 2 > max_bytes:
        raise groesse_ueberschritten(beschreibung, geschaetzt, max_bytes)
    try:
        if len(kompakt) % 4:
            raise ValueError(f"Länge {len(kompakt)} ist kein Vielfaches von 4")
        daten = binascii.a2b_base64(kompakt, strict_mode=True)
    except (binascii.Error, ValueError) as fehler:
        raise AdapterFehler(f"Ungültiges Base64 in {beschreibung}: {fehler}", "base64_ungueltig") from fehler
    if len(daten) > max_bytes:
        raise groesse_ueberschritten(beschreibung, len(daten), max_bytes)
    return daten


def groesse_ueberschritten(beschreibung: str, groesse: int, max_bytes: int) -> AdapterFehler:
    """The AdapterFehler for an attachment above the size limit (code ``anhang_zu_gross``, HTTP 413)."""
    return AdapterFehler(
        f"{beschreibung} ist zu groß: {groesse} Bytes, erlaubt sind höchstens {max_bytes} Bytes",
        "anhang_zu_gross",
        http_status=413,
    )


def dateiname_bereinigen(name: str | None, *, ersatz: str = "anhang") -> str:
    """Return a safe file name: no directories (``/`` or ``\\``), no control or reserved characters, no
    leading dots, at most 200 characters (extension kept), never empty (``ersatz`` then)."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if unicodedata.category(z) in ("Cc", "Cf", "Zl", "Zp") else z for z in name)
    name = _VERBOTENE_ZEICHEN.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        name = ersatz
    if _RESERVIERT_WINDOWS.match(name):
        name = "_" + name
    if len(name) > 200:
        stamm, punkt, endung = name.rpartition(".")
        kurz_endung = bool(punkt) and 0 < len(endung) <= 16
        name = stamm[: 199 - len(endung)] + "." + endung if kurz_endung else name[:200]
    return name


def mime_normalisieren(mime: str | None) -> str | None:
    """Lower-case base type without parameters (``text/XML; charset=utf-8`` → ``application/xml``)."""
    if not mime:
        return None
    basis = mime.split(";", 1)[0].strip().lower()
    if "/" not in basis:
        return None
    return _MIME_ALIASE.get(basis, basis)


def mime_erkennen(inhalt: bytes) -> str:
    """Sniff the MIME type from the content: magic numbers via ``filetype``, then heuristics for PDF, HTML,
    SVG, XML and plain text; ``application/octet-stream`` when nothing fits."""
    if not inhalt:
        return OCTET_STREAM
    kopf = inhalt[:_SNIFF_BYTES]
    erkannt = filetype.guess_mime(kopf)
    if erkannt:
        return erkannt
    if b"%PDF-" in kopf[:1024]:
        return "application/pdf"
    if kopf[:2] == b"MZ":
        return "application/x-msdownload"
    text = _als_text(kopf)
    if text is None:
        return OCTET_STREAM
    anfang = text.lstrip("\ufeff \t\r\n").lower()
    roh = anfang.encode("utf-8", "replace")
    if anfang.startswith("<"):
        if re.search(r"<svg[\s>]", anfang[:4096]):
            return "image/svg+xml"
        if _HTML_MERKMALE.search(roh[:4096]) and not anfang.startswith("<?xml"):
            return "text/html"
        if anfang.startswith("<?xml") or re.match(r"<[a-z_][\w.:-]*[\s>/]", anfang):
            return "application/xml"
    if _HTML_MERKMALE.search(roh[:1024]) and "<html" in anfang[:1024]:
        return "text/html"
    if anfang.startswith(("{", "[")) and anfang.rstrip().endswith(("}", "]")):
        return "application/json"
    return "text/plain"


def _als_text(daten: bytes) -> str | None:
    """Decode bytes as UTF-16 (with BOM), UTF-8 or cp1252 text if they look like text (at most 1 % control
    characters); a multi-byte sequence cut off at the sniff limit is tolerated."""
    if daten.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = daten[: len(daten) // 2 * 2].decode("utf-16", "replace")
    elif b"\x00" in daten:
        return None
    else:
        try:
            text = codecs.getincrementaldecoder("utf-8")().decode(daten, final=False)
        except UnicodeDecodeError:
            try:
                text = daten.decode("cp1252")
            except UnicodeDecodeError:
                return None
    steuer = len(_STEUERZEICHEN.findall(text))
    return text if steuer <= len(text) // 100 else None


def ist_gefaehrlich(dateiname: str, mime_deklariert: str | None, mime_erkannt: str, inhalt: bytes) -> bool:
    """True for content a browser could execute or that is a program: HTML, SVG, JavaScript, executables,
    scripts by extension, and XML carrying scripts, event handlers, XHTML or entity declarations."""
    endung = dateiname.rpartition(".")[2].lower() if "." in dateiname else ""
    if endung in GEFAEHRLICHE_ENDUNGEN:
        return True
    for mime in (mime_normalisieren(mime_deklariert), mime_normalisieren(mime_erkannt)):
        if mime in GEFAEHRLICHE_MIME_TYPEN:
            return True
    kopf = inhalt[:_SNIFF_BYTES]
    if mime_erkannt == "application/xml" and _XML_SKRIPT.search(kopf):
        return True
    return mime_erkannt == "text/plain" and bool(_HTML_MERKMALE.search(kopf[:4096]))


def mime_kompatibel(deklariert: str | None, erkannt: str | None) -> bool:
    """True unless the declared type clearly contradicts the sniffed one.

    Generic declarations (none, ``application/octet-stream``) and unknown content never contradict;
    aliases (``image/jpg``) and container formats (an .docx is sniffed as a zip) are accepted.
    """
    d = mime_normalisieren(deklariert)
    e = mime_normalisieren(erkannt)
    if d in (None, OCTET_STREAM, "binary/octet-stream") or e in (None, OCTET_STREAM):
        return True
    if d == e:
        return True
    if e in _CONTAINER and d.startswith(_CONTAINER[e]):
        return True
    if d == "text/plain" and e in ("application/xml", "application/json", "text/csv"):
        return True
    return d.endswith("+xml") and e == "application/xml"


def anhang_erstellen(
    dateiname: str | None,
    mime_deklariert: str | None,
    inhalt: bytes,
    *,
    verweis_id: str | None = None,
    max_bytes: int = MAX_ANHANG_BYTES,
) -> Anhang:
    """Build an :class:`Anhang`: check the size limit, sanitize the name, sniff the type, flag danger."""
    name = dateiname_bereinigen(dateiname)
    if len(inhalt) > max_bytes:
        raise groesse_ueberschritten(f"Anhang {name!r}", len(inhalt), max_bytes)
    erkannt = mime_erkennen(inhalt)
    deklariert = (mime_deklariert or "").strip() or None
    return Anhang(
        dateiname=name,
        mime_deklariert=deklariert,
        mime_erkannt=erkannt,
        inhalt=inhalt,
        ist_gefaehrlich=ist_gefaehrlich(name, deklariert, erkannt, inhalt),
        verweis_id=verweis_id,
        mime_passt=mime_kompatibel(deklariert, erkannt),
    )
