"""Demo data for the engine: start each demo Vorgang's routed procedure and work it up to a target status.

Tasks are completed through `runner.abschliessen` with plausible form data (by field type, with a few choices
per element), so the procedure state, Historie and status agree. Statuses a procedure does not reach by itself
(Weitergeleitet, Zu Löschen) are set by hand afterwards and the procedure is cancelled or has already ended.
"""

from app.engine import runner
from app.engine.registry import deploy_pfad, neueste_version
from app.engine.routing import ALLGEMEIN
from app.timeutil import utcnow
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import Status

#: Preferred enum values on the way to a positive decision.
POSITIV = ("annehmen", "stattgeben", "genehmigen", "liegt_vor")


def _demo_daten(aufgabe: runner.Aufgabe, verwerfen: bool) -> dict[str, str]:
    """Form data a caseworker might enter for this task."""
    daten = {}
    for feld in aufgabe.felder:
        if feld.typ == "enum":
            ids = [wert_id for wert_id, _ in feld.werte]
            if verwerfen and "verwerfen" in ids:
                daten[feld.id] = "verwerfen"
            else:
                daten[feld.id] = next((w for w in POSITIV if w in ids), ids[0] if ids else "")
        elif feld.typ == "long":
            daten[feld.id] = str(feld.vorgabe or feld.min or 1)
        elif feld.typ == "date":
            daten[feld.id] = utcnow().date().isoformat()
        elif feld.typ == "boolean":
            daten[feld.id] = "true" if (feld.vorgabe or "").lower() == "true" else "false"
        else:
            text = f"Demo: {feld.label}"
            daten[feld.id] = text.ljust(feld.minlength or 0, ".")[: feld.maxlength or None]
    return daten


def verfahren_demo(vorgang, ziel: Status, benutzer_je_rolle: dict) -> bool:
    """Start the procedure and advance it towards `ziel`; False when no procedure is deployed at all."""
    if neueste_version(ALLGEMEIN) is None:
        from app.config import ROOT

        deploy_pfad(ROOT / "processes", von="Demo")
        if neueste_version(ALLGEMEIN) is None:
            return False
    instanz = runner.start(vorgang)
    verwerfen = ziel in (Status.VERWORFEN, Status.ZU_LOESCHEN)
    prozessziel = {Status.ZU_LOESCHEN: Status.VERWORFEN, Status.WEITERGELEITET: Status.NEU}.get(ziel, ziel)
    for _ in range(15):
        if vorgang.status == prozessziel.value:
            break
        offene = runner.offene_aufgaben(vorgang=vorgang)
        if not offene:
            break
        aufgabe = offene[0]
        benutzer = next((benutzer_je_rolle[r] for r in aufgabe.kandidatengruppen if r in benutzer_je_rolle), None)
        if benutzer is None:
            break
        runner.abschliessen(aufgabe.task_id, _demo_daten(aufgabe, verwerfen), benutzer)
    if ziel is Status.WEITERGELEITET:
        status_setzen(vorgang, Status.WEITERGELEITET, benutzer_je_rolle.get("sachbearbeitung"))
        runner.abbrechen(instanz, benutzer_je_rolle.get("sachbearbeitung"), "An die zuständige Behörde weitergeleitet")
    elif ziel is Status.ZU_LOESCHEN and vorgang.status == Status.VERWORFEN.value:
        status_setzen(vorgang, Status.ZU_LOESCHEN, benutzer_je_rolle.get("sachbearbeitung"))
    return True
