"""Messages a procedure writes (BPMN send task or service task `amtsfluss.nachricht`): the same path as the
caseworker's message (`service.schreiben`, channel outbox, Historie), written as the system on behalf of the OE.

Betreff and text may use `{{ vorgang.nummer }}`, `{{ vorgang.aktenzeichen }}`, `{{ antragsteller.name }}` and any
scalar variable of the procedure as `{{ name }}` (`${…}` in the properties is already filled by the engine). In a
test run or dry run there is no Vorgang: the message is only recorded, nothing is written or sent.
"""

import re
from datetime import date

from app.postfach import service
from app.postfach.kanaele import verfuegbare_kanaele
from app.postfach.models import Nachricht
from app.postfach.service import PostfachFehler
from app.vorgaenge.models import Vorgang

PLATZHALTER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")


def platzhalter_werte(vorgang_info: dict, daten: dict) -> dict[str, str]:
    """The values placeholders may use: the procedure's scalar variables and the Vorgang's number, file number
    and applicant (from `vorgang_info()` of the script API, so test runs fill them the same way)."""
    werte = {k: str(v) for k, v in daten.items() if isinstance(v, str | int | float | bool | date)}
    werte.update(
        {
            "vorgang.nummer": str(vorgang_info.get("nummer") or ""),
            "vorgang.aktenzeichen": str(vorgang_info.get("aktenzeichen") or ""),
            "antragsteller.name": str(vorgang_info.get("antragsteller_name") or ""),
        }
    )
    return werte


def fuellen(text: str, werte: dict[str, str]) -> str:
    """Replace the placeholders; an unknown one is an error naming it (the designer sees it as an incident)."""
    unbekannt = sorted({name for name in PLATZHALTER.findall(text) if name not in werte})
    if unbekannt:
        raise PostfachFehler(
            "Unbekannte Platzhalter in der Nachricht: " + ", ".join(f"{{{{ {n} }}}}" for n in unbekannt)
        )
    return PLATZHALTER.sub(lambda t: werte[t.group(1)], text)


def senden(
    vorgang: Vorgang | None,
    parameter: dict,
    werte: dict[str, str],
    frist: date | None,
    protokoll: list[str],
) -> Nachricht | None:
    """Write the message of a procedure step (properties `betreff`, `text`, optional `kanal`) to the applicant;
    None in a test run (`vorgang` None), where it is only recorded in `protokoll`. Raises PostfachFehler."""
    betreff = fuellen((parameter.get("betreff") or "").strip(), werte)
    text = fuellen((parameter.get("text") or "").strip(), werte)
    if not betreff or not text:
        raise PostfachFehler("Eine Nachricht des Verfahrens braucht die Eigenschaften „betreff“ und „text“.")
    kanal = (parameter.get("kanal") or "").strip()
    if vorgang is None:
        ziel = f" über {kanal}" if kanal else ""
        frist_text = f", Antwort bis {frist.isoformat()}" if frist else ""
        protokoll.append(f"Nachricht an den Antragsteller{ziel}: „{betreff}“{frist_text} (Probelauf: nicht gesendet)")
        return None
    if not kanal:
        erreichbar = verfuegbare_kanaele(vorgang)
        if not erreichbar:
            raise PostfachFehler("Der Antragsteller ist über keinen Kanal erreichbar (keine Adresse im Antrag).")
        kanal = erreichbar[0][0].name
    return service.schreiben(vorgang, None, kanal, betreff, text, frist=frist)
