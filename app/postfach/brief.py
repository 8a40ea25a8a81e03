"""Letters as PDF (DIN 5008 form B: address window, information block, Betreff, text) rendered with WeasyPrint.

The Bescheid and the printed-letter channel both use it. Output is PDF/A-3a: archivable, tagged (accessible), with
the document language set; the HTML may fetch nothing from outside (only `data:` URLs).
"""

from flask import current_app

from app.timeutil import heute
from app.vorgaenge.models import Vorgang

#: PDF/A-3 level a: archivable and tagged (structure for screen readers).
PDF_VARIANTE = "pdf/a-3a"


def anschrift(vorgang: Vorgang) -> list[str]:
    """The applicant's postal address as lines for the address window (may be incomplete)."""
    a = vorgang.antragsteller or {}
    zeilen = [vorgang.antragsteller_name or a.get("firmenname") or ""]
    zeilen.append(" ".join(t for t in (a.get("strasse"), a.get("hausnummer")) if t))
    zeilen.append(" ".join(t for t in (a.get("plz"), a.get("ort")) if t))
    return [z for z in zeilen if z]


def brief_html(vorgang: Vorgang, betreff: str, inhalt_html: str, *, datum=None, entwurf: bool = False) -> str:
    """The whole letter as an HTML document (letterhead of the Vorgang's OE, address window, body)."""
    # rendered without the request's context processors: letters are also made in the scheduler
    return current_app.jinja_env.get_template("postfach/brief.html").render(
        vorgang=vorgang,
        anschrift=anschrift(vorgang),
        betreff=betreff,
        inhalt=inhalt_html,
        datum=datum or heute(),
        entwurf=entwurf,
        absender=current_app.config.get("BRIEF_ABSENDERZEILE") or vorgang.oe.name,
    )


def pdf(html: str, titel: str) -> bytes:
    """Render an HTML document to PDF/A; external resources are refused."""
    # imported here, not at the top: WeasyPrint adds about 46 MB to a process, and most workers never render a
    # letter (issue 12 allows 150 MB per worker under intake load; docs/performance.md)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    dokument = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"}))
    return dokument.write_pdf(pdf_variant=PDF_VARIANTE, custom_metadata=False, pdf_identifier=titel.encode()[:32])
