"""The channels a message can take, behind one interface: `adresse(vorgang)` says whether (and where) the
application allows the channel, `einreihen(nachricht)` hands a written message to the channel's outbox in the
caller's transaction. Sending happens later, in the scheduler (never inside a request)."""

import re
import secrets
from dataclasses import dataclass
from typing import Protocol

from app.postfach.fitconnect import FitConnectKanal
from app.postfach.models import Nachricht, Zustand
from app.timeutil import utcnow
from app.vorgaenge.models import Vorgang
from app.wiedervorlagen.models import Mailausgang

#: The tag in an e-mail's Betreff that carries the correlation token: `[31005-ABCDEF #0123456789ab]`.
KORRELATION = re.compile(r"#([0-9a-f]{12})\b")


def neue_korrelation() -> str:
    """A random token a reply quotes to find its Vorgang (guessing a Vorgangsnummer is not enough)."""
    return secrets.token_hex(6)


class Kanal(Protocol):
    """One way to reach the applicant."""

    name: str
    titel: str

    def adresse(self, vorgang: Vorgang) -> str | None:
        """The applicant's address on this channel, None when the application does not allow it."""

    def einreihen(self, nachricht: Nachricht) -> None:
        """Queue an outgoing message for sending (no commit)."""


@dataclass(frozen=True)
class EmailKanal:
    """E-mail to the address the applicant gave; sent by the mail outbox (`app.wiedervorlagen.versand`)."""

    name: str = "email"
    titel: str = "E-Mail"

    def adresse(self, vorgang: Vorgang) -> str | None:
        """The applicant's e-mail address from the application, if any."""
        adresse = (vorgang.antragsteller or {}).get("email") or ""
        return adresse.strip() or None

    def einreihen(self, nachricht: Nachricht) -> None:
        """One outbox mail with the correlation tag in the Betreff and the message's Anhänge."""
        vorgang = nachricht.vorgang
        betreff = f"{nachricht.betreff} [{vorgang.nummer} #{nachricht.korrelation}]"
        text = (
            f"{nachricht.text}\n\n-- \nVorgangsnummer {vorgang.nummer}. Bitte antworten Sie auf diese E-Mail, ohne "
            "die Angaben in eckigen Klammern im Betreff zu ändern; so erreicht Ihre Antwort den richtigen Vorgang.\n"
        )
        mail = Mailausgang(
            art="nachricht",
            schluessel=f"nachricht-{nachricht.korrelation}",
            empfaenger=nachricht.empfaenger,
            betreff=betreff[:300],
            text=text,
            anhang_ids=[a.id for a in nachricht.anhaenge],
            status="wartend",
            naechster_versuch_am=utcnow(),
        )
        nachricht.mailausgang = mail


@dataclass(frozen=True)
class BriefKanal:
    """A printed letter: the letter PDF (DIN 5008) is stored with the message; the office prints and posts it."""

    name: str = "brief"
    titel: str = "Brief (Druck)"

    def adresse(self, vorgang: Vorgang) -> str | None:
        """The postal address from the application, one line per part."""
        a = vorgang.antragsteller or {}
        strasse = " ".join(t for t in (a.get("strasse"), a.get("hausnummer")) if t)
        ort = " ".join(t for t in (a.get("plz"), a.get("ort")) if t)
        if not (strasse and ort):
            return None
        return "\n".join(t for t in (vorgang.antragsteller_name, strasse, ort) if t)

    def einreihen(self, nachricht: Nachricht) -> None:
        """Nothing to queue: the letter exists as PDF; it counts as sent when the office has posted it."""
        nachricht.status = Zustand.WARTEND


#: Every channel by name, in the order they are offered.
KANAELE: dict[str, Kanal] = {k.name: k for k in (FitConnectKanal(), EmailKanal(), BriefKanal())}


def verfuegbare_kanaele(vorgang: Vorgang) -> list[tuple[Kanal, str]]:
    """The channels this application allows, each with the applicant's address there."""
    return [(k, adresse) for k in KANAELE.values() if (adresse := k.adresse(vorgang))]
