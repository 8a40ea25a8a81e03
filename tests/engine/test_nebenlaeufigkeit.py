"""Two people complete the same task at the same moment: exactly one wins, the other gets Konflikt.
Two processes deploy the same new file at once: one version. Real threads, real database connections."""

import threading

from app.auth.models import Benutzer
from app.engine import runner
from app.engine.aufgaben import offene_aufgaben
from app.engine.models import ProzessInstanz, ProzessModellVersion
from app.engine.registry import deploy_xml
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag
from tests.engine.conftest import BEISPIELE, neuer_vorgang


def parallel(app, anzahl: int, arbeit) -> list:
    """Run `arbeit(i)` in `anzahl` threads, each with its own app context (own session and connection)."""
    start = threading.Barrier(anzahl)
    ergebnisse: list = [None] * anzahl

    def lauf(i: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                ergebnisse[i] = arbeit(i)
            except Exception as error:  # noqa: BLE001 — the test inspects what each thread got
                ergebnisse[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=lauf, args=(i,)) for i in range(anzahl)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return ergebnisse


def test_zwei_gleichzeitige_abschluesse_einer_aufgabe_genau_einer_gewinnt(app, amt, sabine, verfahren):
    """Both threads complete the same task; one succeeds, the other raises Konflikt; no lost update."""
    v = neuer_vorgang(amt)
    [aufgabe] = offene_aufgaben(sabine)
    sabine_id, vorgang_id = sabine.id, v.id
    db.session.remove()

    def abschliessen(i: int):
        benutzer = db.session.get(Benutzer, sabine_id)
        entscheidung = ("annehmen", "verwerfen")[i]
        runner.abschliessen(aufgabe.task_id, {"entscheidung": entscheidung}, benutzer)
        return entscheidung

    ergebnisse = parallel(app, 2, abschliessen)
    gewonnen = [e for e in ergebnisse if isinstance(e, str)]
    konflikte = [e for e in ergebnisse if isinstance(e, runner.Konflikt)]
    assert len(gewonnen) == 1 and len(konflikte) == 1, ergebnisse
    v = db.session.get(type(v), vorgang_id)
    erwartet = {"annehmen": "Angenommen", "verwerfen": "Verworfen"}[gewonnen[0]]
    assert v.status == erwartet
    erledigt = db.session.scalars(
        db.select(HistorieEintrag).filter_by(vorgang_id=vorgang_id, aktion="Aufgabe erledigt")
    ).all()
    assert len(erledigt) == 1
    instanz = db.session.scalars(db.select(ProzessInstanz).filter_by(vorgang_id=vorgang_id)).one()
    assert instanz.version == 2  # one update after the insert


def test_gleichzeitiges_deployment_derselben_datei_ergibt_eine_version(app):
    """Several app processes starting at once deploy the same new file: one version, no error."""
    xml = (BEISPIELE / "rechnen_v1.bpmn").read_bytes()

    def deployen(_i: int):
        ergebnis = deploy_xml(xml, "rechnen_v1.bpmn")
        db.session.commit()
        return ergebnis

    ergebnisse = parallel(app, 3, deployen)
    assert all(not isinstance(e, Exception) for e in ergebnisse), ergebnisse
    assert {e.version for e in ergebnisse} == {1}
    assert db.session.scalar(db.select(db.func.count()).select_from(ProzessModellVersion)) == 1
