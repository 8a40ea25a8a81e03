"""Rules of the Bescheide: keep templates and text blocks, draft a Bescheid from a template, approve it, and
finalise it as a frozen PDF/A Anhang with its hash, Bekanntgabe and Rechtsbehelfsfrist (no commits here)."""

import re
from datetime import date

from sqlalchemy import or_, select

from app.auth.models import Benutzer
from app.bescheide import fristen, vorlagen
from app.bescheide.models import ARTEN, Bescheid, BescheidStatus, BescheidVorlage, Textbaustein
from app.extensions import db
from app.postfach import brief
from app.signale import verfahrensdaten_erbeten
from app.timeutil import heute, utcnow
from app.vorgaenge import aktionen
from app.vorgaenge.anhaenge import anhang_anlegen
from app.vorgaenge.historie import protokolliere
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import OFFEN

SCHLUESSEL = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class BescheidFehler(ValueError):
    """The action is not possible; the text (one or more lines) is shown to the user."""


# --- templates and text blocks ----------------------------------------------------------------------------------


def textbausteine() -> dict[str, str]:
    """Every text block: key → text."""
    return {t.schluessel: t.text for t in db.session.scalars(select(Textbaustein).order_by(Textbaustein.schluessel))}


def textbaustein_speichern(baustein: Textbaustein | None, schluessel: str, titel: str, text: str) -> Textbaustein:
    """Create or change a text block; the key is fixed once templates may use it."""
    schluessel = (schluessel or "").strip()
    if baustein is None:
        if not SCHLUESSEL.match(schluessel):
            raise BescheidFehler("Der Schlüssel besteht aus Kleinbuchstaben, Ziffern und _ (z. B. rechtsbehelf).")
        if db.session.scalar(select(Textbaustein).where(Textbaustein.schluessel == schluessel)):
            raise BescheidFehler("Diesen Schlüssel gibt es schon.")
        baustein = Textbaustein(schluessel=schluessel)
        db.session.add(baustein)
    baustein.titel = aktionen.nur_text(titel)[:200] or schluessel
    baustein.text = aktionen.nur_text(text)
    db.session.flush()
    return baustein


def vorlage_speichern(
    vorlage: BescheidVorlage | None, verfahren: str, art: str, name: str, html: str, freigabe_noetig: bool
) -> BescheidVorlage:
    """Create or change a template after checking placeholders and HTML (BescheidFehler lists every problem)."""
    if art not in ARTEN:
        raise BescheidFehler("Unbekannte Art des Bescheids.")
    name = aktionen.nur_text(name)[:200]
    if not name:
        raise BescheidFehler("Bitte geben Sie einen Namen an.")
    fehler = vorlagen.pruefen(html or "", set(textbausteine()))
    if fehler:
        raise BescheidFehler("\n".join(fehler))
    vorlage = vorlage or BescheidVorlage()
    vorlage.verfahren, vorlage.art, vorlage.name = (verfahren or "").strip()[:200], art, name
    vorlage.html, vorlage.freigabe_noetig = html, bool(freigabe_noetig)
    db.session.add(vorlage)
    db.session.flush()
    return vorlage


def vorlagen_fuer(verfahren: str | None) -> list[BescheidVorlage]:
    """The templates for a procedure (and those for every procedure), by kind and name."""
    query = select(BescheidVorlage).order_by(BescheidVorlage.art, BescheidVorlage.name)
    return list(
        db.session.scalars(
            query.where(or_(BescheidVorlage.verfahren == "", BescheidVorlage.verfahren == (verfahren or "")))
        )
    )


# --- Bescheide of a Vorgang -------------------------------------------------------------------------------------


def _pruefen(vorgang: Vorgang, benutzer: Benutzer) -> None:
    """Caseworkers and team leads of the Vorgang's OE, on an open Vorgang."""
    if not aktionen.darf_vorgaenge_bearbeiten(benutzer) or vorgang.oe_id not in benutzer.oe_ids:
        raise BescheidFehler("Für diese Aktion fehlt Ihnen die Berechtigung.")
    if vorgang.status_enum not in OFFEN:
        raise BescheidFehler(f"Im Status „{vorgang.status}“ ist diese Aktion nicht möglich.")


def entwurf_anlegen(vorgang: Vorgang, vorlage: BescheidVorlage, benutzer: Benutzer) -> Bescheid:
    """A draft from a template, its placeholders filled from the Vorgang."""
    _pruefen(vorgang, benutzer)
    text = _fuellen(vorlage.html, vorgang)
    bescheid = Bescheid(
        vorgang_id=vorgang.id,
        vorgang=vorgang,
        vorlage_id=vorlage.id,
        art=vorlage.art,
        titel=f"{vorlage.art_titel}: {vorgang.formular_name or 'Ihr Antrag'}"[:200],
        html=text,
        freigabe_noetig=vorlage.freigabe_noetig,
        erstellt_von_id=benutzer.id,
    )
    db.session.add(bescheid)
    db.session.flush()
    protokolliere(vorgang, "Bescheid-Entwurf angelegt", benutzer, None, {"art": bescheid.art_titel})
    return bescheid


def entwurf_aendern(bescheid: Bescheid, benutzer: Benutzer, titel: str, html: str) -> None:
    """Change the draft's text (checked like a template); an approval already given lapses."""
    _pruefen(bescheid.vorgang, benutzer)
    if bescheid.ist_final:
        raise BescheidFehler("Ein erlassener Bescheid kann nicht mehr geändert werden.")
    fehler = vorlagen.pruefen(html or "", set(textbausteine()))
    titel = aktionen.nur_text(titel).replace("\n", " ")[:200]
    if not titel:
        fehler.insert(0, "Bitte geben Sie einen Titel an.")
    if fehler:
        raise BescheidFehler("\n".join(fehler))
    if (titel, html) != (bescheid.titel, bescheid.html):
        bescheid.titel, bescheid.html = titel, html
        bescheid.status = BescheidStatus.ENTWURF
        bescheid.freigegeben_von_id = bescheid.freigegeben_am = None


def freigabe_beantragen(bescheid: Bescheid, benutzer: Benutzer) -> None:
    """Ask the team lead to approve the draft."""
    _pruefen(bescheid.vorgang, benutzer)
    if bescheid.status != BescheidStatus.ENTWURF:
        raise BescheidFehler("Nur ein Entwurf kann zur Freigabe vorgelegt werden.")
    bescheid.status = BescheidStatus.ZUR_FREIGABE
    protokolliere(bescheid.vorgang, "Bescheid zur Freigabe vorgelegt", benutzer, None, {"titel": bescheid.titel})


def freigeben(bescheid: Bescheid, benutzer: Benutzer) -> None:
    """The team lead approves (four eyes: not the author)."""
    _pruefen(bescheid.vorgang, benutzer)
    if not benutzer.hat_rolle("leitung"):
        raise BescheidFehler("Bescheide gibt die Leitung frei.")
    if bescheid.status not in (BescheidStatus.ENTWURF, BescheidStatus.ZUR_FREIGABE):
        raise BescheidFehler("Dieser Bescheid kann nicht freigegeben werden.")
    if bescheid.erstellt_von_id == benutzer.id:
        raise BescheidFehler("Die Freigabe muss eine zweite Person erteilen.")
    bescheid.status = BescheidStatus.FREIGEGEBEN
    bescheid.freigegeben_von_id, bescheid.freigegeben_am = benutzer.id, utcnow()
    protokolliere(bescheid.vorgang, "Bescheid freigegeben", benutzer, None, {"titel": bescheid.titel})


def _fuellen(text: str, vorgang: Vorgang, datum: date | None = None) -> str:
    """The text with its placeholders filled for the Vorgang; the procedure's variables are asked for (signal
    `verfahrensdaten_erbeten`, answered by the engine) only when the text uses them."""
    verfahren = {}
    if vorlagen.braucht_verfahren(text):
        for _empfaenger, antwort in verfahrensdaten_erbeten.send(vorgang):
            verfahren.update(antwort or {})
    try:
        return vorlagen.fuellen(text, vorlagen.werte(vorgang, textbausteine(), datum, verfahren))
    except vorlagen.VorlagenFehler as fehler:
        raise BescheidFehler(str(fehler)) from None


def pdf(bescheid: Bescheid, *, entwurf: bool, datum: date | None = None) -> bytes:
    """The Bescheid as PDF/A letter (a draft carries the ENTWURF mark)."""
    text = _fuellen(bescheid.html, bescheid.vorgang, datum)
    return brief.pdf(
        brief.brief_html(bescheid.vorgang, bescheid.titel, text, datum=datum, entwurf=entwurf), bescheid.titel
    )


def finalisieren(bescheid: Bescheid, benutzer: Benutzer, versand: date | None = None) -> Bescheid:
    """Erlass: render the PDF/A, store it as Anhang with its hash, freeze, compute Bekanntgabe (sent on `versand`,
    default today) and Rechtsbehelfsfrist, write Historie (no commit; the caller completes the procedure step)."""
    _pruefen(bescheid.vorgang, benutzer)
    if bescheid.ist_final:
        raise BescheidFehler("Der Bescheid ist bereits erlassen.")
    if bescheid.freigabe_noetig and bescheid.status != BescheidStatus.FREIGEGEBEN:
        raise BescheidFehler("Der Bescheid muss zuerst von der Leitung freigegeben werden.")
    vorgang = bescheid.vorgang
    tag = versand or heute()
    daten = pdf(bescheid, entwurf=False, datum=tag)
    anhang = anhang_anlegen(
        vorgang,
        f"Bescheid {vorgang.nummer} {bescheid.art_titel}.pdf",
        daten,
        "application/pdf",
        herkunft="bescheid",
        beschreibung=bescheid.titel,
        benutzer=benutzer,
    )
    bescheid.anhang_id, bescheid.anhang, bescheid.sha256 = anhang.id, anhang, anhang.sha256
    bescheid.bescheid_datum = tag
    bescheid.bekanntgabe_am = fristen.bekanntgabe(tag)
    bescheid.rechtsbehelfsfrist_bis = fristen.rechtsbehelfsfrist(bescheid.bekanntgabe_am)
    bescheid.finalisiert_am = utcnow()
    bescheid.status = BescheidStatus.FINAL
    protokolliere(
        vorgang,
        "Bescheid erlassen",
        benutzer,
        None,
        {
            "art": bescheid.art_titel,
            "datei": anhang.dateiname,
            "sha256": anhang.sha256,
            "bekanntgabe": bescheid.bekanntgabe_am.isoformat(),
            "rechtsbehelfsfrist": bescheid.rechtsbehelfsfrist_bis.isoformat(),
        },
    )
    db.session.flush()
    return bescheid


def bescheide(vorgang: Vorgang) -> list[Bescheid]:
    """The Vorgang's Bescheide, newest first."""
    return list(
        db.session.scalars(select(Bescheid).where(Bescheid.vorgang_id == vorgang.id).order_by(Bescheid.id.desc()))
    )
