"""Anhänge: upload limits, content-addressed storage, safe downloads (HTML/SVG never inline)."""

import hashlib
import io

from sqlalchemy import select

from app.extensions import db
from app.vorgaenge import anhaenge
from app.vorgaenge.models import Anhang
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4a10000000049454e44ae426082"
)


def _hochladen(client, nummer, name, inhalt, notiz=""):
    """Post the upload form."""
    return client.post(
        f"/vorgang/{nummer}/aktion/anhang",
        data={"anhang-datei": (io.BytesIO(inhalt), name), "anhang-beschreibung": notiz},
        content_type="multipart/form-data",
    )


def test_caseworker_attaches_a_pdf_and_downloads_it_with_type_and_disposition(app, client, auth, ordnungsamt):
    """The file is stored once by SHA-256; download sends its type; preview shows it inline."""
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    assert _hochladen(client, v.nummer, "Lageplan.pdf", PDF, "vom Bürger nachgereicht").status_code == 302
    anhang = db.session.scalars(select(Anhang).where(Anhang.vorgang_id == v.id)).one()
    assert anhang.mime_typ == "application/pdf" and anhang.herkunft == "bearbeitung"
    assert anhaenge.pfad(hashlib.sha256(PDF).hexdigest()).read_bytes() == PDF
    antwort = client.get(f"/vorgang/{v.nummer}/anhang/{anhang.id}")
    assert antwort.data == PDF
    assert antwort.headers["Content-Type"] == "application/pdf"
    assert antwort.headers["Content-Disposition"].startswith("attachment;")
    vorschau = client.get(f"/vorgang/{v.nummer}/anhang/{anhang.id}?ansicht=1")
    assert vorschau.headers["Content-Disposition"].startswith("inline;")
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Lageplan.pdf" in seite and "vom Bürger nachgereicht" in seite and "Anhang hinzugefügt" in seite


def test_same_bytes_are_stored_once(app, ordnungsamt):
    """Content addressing: two Anhänge with equal bytes share one file."""
    v = factories.vorgang(ordnungsamt)
    a = anhaenge.anhang_anlegen(v, "a.png", PNG)
    b = anhaenge.anhang_anlegen(v, "b.png", PNG)
    assert a.sha256 == b.sha256 and a.mime_typ == "image/png"
    assert len(list(anhaenge.pfad(a.sha256).parent.iterdir())) == 1


def test_html_and_oversized_uploads_are_refused_with_a_field_error(app, client, auth, ordnungsamt):
    """Type and size limits; the error is shown at the field, linked from the summary."""
    app.config["ANHANG_MAX_BYTES"] = 1024
    v = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    antwort = _hochladen(client, v.nummer, "seite.pdf", b"<!doctype html><script>alert(1)</script>")
    assert antwort.status_code == 422
    seite = antwort.get_data(as_text=True)
    assert "Dateityp ist nicht erlaubt" in seite and 'href="#anhang-datei"' in seite
    antwort = _hochladen(client, v.nummer, "gross.pdf", PDF + b"0" * 2048)
    assert "zu groß" in antwort.get_data(as_text=True)
    assert db.session.scalars(select(Anhang).where(Anhang.vorgang_id == v.id)).first() is None


def test_html_and_svg_from_applicants_are_never_served_inline(app, client, auth, ordnungsamt):
    """Applicant files (from intake) may be HTML/SVG: always attachments, sandboxed, never previewed."""
    v = factories.vorgang(ordnungsamt)
    html = anhaenge.anhang_anlegen(v, "formular.html", b"<html><script>alert(1)</script></html>")
    svg = anhaenge.anhang_anlegen(v, "bild.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    db.session.commit()
    auth.login()
    for a in (html, svg):
        assert a.ist_gefaehrlich
        antwort = client.get(f"/vorgang/{v.nummer}/anhang/{a.id}?ansicht=1")
        assert antwort.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in antwort.headers["Content-Security-Policy"]
        assert antwort.headers["X-Content-Type-Options"] == "nosniff"
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "ansicht=1" not in seite and "gefährlicher Dateityp" in seite


def test_anhang_of_a_foreign_vorgang_is_not_found(app, client, auth, ordnungsamt):
    """Downloads go through the tenant check too."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    fremd = factories.vorgang(bauamt)
    a = anhaenge.anhang_anlegen(fremd, "geheim.pdf", PDF)
    eigen = factories.vorgang(ordnungsamt)
    db.session.commit()
    auth.login()
    assert client.get(f"/vorgang/{fremd.nummer}/anhang/{a.id}").status_code == 404
    assert client.get(f"/vorgang/{eigen.nummer}/anhang/{a.id}").status_code == 404
