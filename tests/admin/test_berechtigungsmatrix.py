"""The permission matrix of docs/berechtigungen.md, one row per role × action × scope, against real routes.

Two OEs: A (Ordnungsamt, where every acting user is a member) and B (Bauamt). Each row names whether the
action succeeds; success is checked by its effect (status and what was stored), refusal by 403/404/400 or by
nothing being stored.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Benutzer
from app.engine import runner
from app.engine.models import VORFALL, ProzessInstanz, RollenZuordnung, VerfahrensRouting
from app.engine.registry import deploy_xml
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.vorgaenge.models import FormularBeschriftung, Kommentar, Vorgang
from app.wiedervorlagen.models import Wiedervorlage
from tests import factories
from tests.engine.conftest import BEISPIELE

ROLLEN = ("sachbearbeitung", "leitung", "verfahrensdesign", "administration", "systemadministration")


def _anzahl(modell) -> int:
    """Rows of a table."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(modell))


def _oe(kennung: str) -> Organisationseinheit:
    """The OE with this Kennung."""
    return db.session.scalars(select(Organisationseinheit).where(Organisationseinheit.kennung == kennung)).one()


def _benutzer(login: str) -> Benutzer:
    """The user with this login."""
    db.session.expire_all()
    return db.session.scalars(select(Benutzer).where(Benutzer.login == login)).one()


def vorgang_lesen(client, welt):
    """Open a Vorgang of OE A (own) — every role of the OE reads it."""
    return client.get(f"/vorgang/{welt['vorgang_a']}").status_code == 200


def fremden_vorgang_lesen(client, welt):
    """Open a Vorgang of OE B (foreign)."""
    return client.get(f"/vorgang/{welt['vorgang_b']}").status_code == 200


def kommentieren(client, welt):
    """A case action on a Vorgang of OE A."""
    vorher = _anzahl(Kommentar)
    client.post(f"/vorgang/{welt['vorgang_a']}/aktion/kommentar", data={"kommentar-text": "Rückruf erledigt"})
    return _anzahl(Kommentar) == vorher + 1


def wiedervorlage_anlegen(client, welt):
    """Create a Wiedervorlage on a Vorgang of OE A."""
    vorher = _anzahl(Wiedervorlage)
    frist = (date.today() + timedelta(days=7)).isoformat()
    client.post(
        f"/wiedervorlagen/neu/{welt['vorgang_a']}", data={"betreff": "Nachfrage", "frist": frist, "zugewiesen_an": 0}
    )
    return _anzahl(Wiedervorlage) == vorher + 1


def verwaltung_oeffnen(client, welt):
    """Open the administration area."""
    return client.get("/admin/").status_code == 200


def _neuer_benutzer(client, login, oe_id):
    """Post the user form."""
    client.post(
        "/admin/benutzer/neu",
        data={
            "login": login,
            "name": "Nina Neumann",
            "rollen": ["sachbearbeitung"],
            "oes": [str(oe_id)],
            "aktiv": "y",
            "passwort": "Kaffeetasse-Fahrrad-Wolke",
        },
    )
    return db.session.scalars(select(Benutzer).where(Benutzer.login == login)).first() is not None


def benutzer_in_eigener_oe_anlegen(client, welt):
    """Create a user in OE A."""
    return _neuer_benutzer(client, "nina", welt["oe_a"])


def benutzer_in_fremder_oe_anlegen(client, welt):
    """Create a user in OE B."""
    return _neuer_benutzer(client, "nina", welt["oe_b"])


def fremden_benutzer_bearbeiten(client, welt):
    """Open the form of a user of OE B."""
    return client.get(f"/admin/benutzer/{welt['bernd']}").status_code == 200


def sich_selbst_fremder_oe_zuordnen(client, welt):
    """Post one's own user form with OE B added."""
    ich = _benutzer(welt["login"])
    client.post(
        f"/admin/benutzer/{ich.id}",
        data={
            "login": ich.login,
            "name": ich.name,
            "rollen": ich.rollen,
            "oes": [str(welt["oe_a"]), str(welt["oe_b"])],
            "aktiv": "y",
        },
    )
    return welt["oe_b"] in _benutzer(welt["login"]).oe_ids


def fremde_oe_bearbeiten(client, welt):
    """Open the settings of OE B."""
    return client.get(f"/admin/oes/{welt['oe_b']}").status_code == 200


def oe_anlegen(client, welt):
    """Create a new OE (installation-wide)."""
    client.post(
        "/admin/oes/neu",
        data={"name": "Standesamt", "kennung": "197010", "nummer_prefix": "31007", "aktenzeichen_muster": "{LAUFNR}"},
    )
    return db.session.scalars(select(Organisationseinheit).where(Organisationseinheit.kennung == "197010")).first()


def _vorfall(nummer: str) -> int:
    """Start the test procedure for the Vorgang `nummer` and turn its instance into an incident; its id."""
    deploy_xml((BEISPIELE / "rechnen_v1.bpmn").read_bytes(), "rechnen_v1.bpmn")
    vorgang = db.session.scalars(select(Vorgang).where(Vorgang.nummer == nummer)).one()
    instanz = runner.start(vorgang, "rechnen")
    instanz.zustand_art, instanz.vorfall_element, instanz.vorfall_text = VORFALL, "teilen", f"Probe {nummer}"
    db.session.commit()
    return instanz.id


def vorfall_eigener_oe_sehen(client, welt):
    """The incident of a Vorgang of OE A is listed on /admin/vorfaelle."""
    _vorfall(welt["vorgang_a"])
    antwort = client.get("/admin/vorfaelle")
    return antwort.status_code == 200 and f"Probe {welt['vorgang_a']}" in antwort.get_data(as_text=True)


def vorfall_fremder_oe_sehen(client, welt):
    """The incident of a Vorgang of OE B is listed on /admin/vorfaelle."""
    _vorfall(welt["vorgang_b"])
    antwort = client.get("/admin/vorfaelle")
    return antwort.status_code == 200 and f"Probe {welt['vorgang_b']}" in antwort.get_data(as_text=True)


def vorfall_fremder_oe_abbrechen(client, welt):
    """Cancel the procedure of an incident of OE B."""
    instanz_id = _vorfall(welt["vorgang_b"])
    client.post(f"/admin/vorfaelle/{instanz_id}/abbrechen", data={"grund": "Probe"})
    db.session.expire_all()
    return db.session.get(ProzessInstanz, instanz_id).zustand_art == "abgebrochen"


def routing_aendern(client, welt):
    """Route a form id to a procedure (installation-wide)."""
    client.post("/werkstatt/routing", data={"art": "formular", "schluessel": "probe-formular", "verfahren": "x"})
    db.session.expire_all()
    return db.session.scalars(select(VerfahrensRouting).where(VerfahrensRouting.schluessel == "probe-formular")).first()


def rollenzuordnung_aendern(client, welt):
    """Map a candidate group to a role (installation-wide)."""
    client.post("/werkstatt/rollen", data={"gruppe": "probegruppe", "rolle": "leitung"})
    db.session.expire_all()
    return db.session.scalars(select(RollenZuordnung).where(RollenZuordnung.gruppe == "probegruppe")).first()


def beschriftungen_anlegen(client, welt):
    """Store the labels of a form (installation-wide)."""
    client.post("/werkstatt/beschriftungen", data={"formular": "probeformular", "felder": "a = A"})
    db.session.expire_all()
    return db.session.scalars(
        select(FormularBeschriftung).where(FormularBeschriftung.formular == "probeformular")
    ).first()


def verfahrensversionen_oeffnen(client, welt):
    """Open the list of deployed procedure versions of the installation (/admin/verfahren)."""
    return client.get("/admin/verfahren").status_code == 200


#: action → the roles allowed to do it (every other role is refused). Mirrors docs/berechtigungen.md.
MATRIX = {
    vorgang_lesen: {"sachbearbeitung", "leitung", "verfahrensdesign", "administration", "systemadministration"},
    fremden_vorgang_lesen: set(),
    kommentieren: {"sachbearbeitung", "leitung"},
    wiedervorlage_anlegen: {"sachbearbeitung", "leitung"},
    verwaltung_oeffnen: {"administration", "systemadministration"},
    benutzer_in_eigener_oe_anlegen: {"administration", "systemadministration"},
    benutzer_in_fremder_oe_anlegen: {"systemadministration"},
    fremden_benutzer_bearbeiten: {"systemadministration"},
    sich_selbst_fremder_oe_zuordnen: {"systemadministration"},
    fremde_oe_bearbeiten: {"systemadministration"},
    oe_anlegen: {"systemadministration"},
    vorfall_eigener_oe_sehen: {"administration", "systemadministration"},
    vorfall_fremder_oe_sehen: {"systemadministration"},
    vorfall_fremder_oe_abbrechen: {"systemadministration"},
    routing_aendern: {"verfahrensdesign", "systemadministration"},
    rollenzuordnung_aendern: {"verfahrensdesign", "systemadministration"},
    beschriftungen_anlegen: {"verfahrensdesign", "systemadministration"},
    verfahrensversionen_oeffnen: {"systemadministration"},
}


def _faelle():
    """One pytest case per role × action."""
    for aktion, erlaubt in MATRIX.items():
        for rolle in ROLLEN:
            yield pytest.param(rolle, aktion, rolle in erlaubt, id=f"{aktion.__name__}-{rolle}")


@pytest.fixture
def welt(app, ordnungsamt):
    """OE A with a Vorgang, OE B with a Vorgang and its caseworker `bernd`."""
    bauamt = factories.oe("Bauamt", "197009", "31006")
    bernd = factories.benutzer("bernd", "Bernd Krause", ["sachbearbeitung"], [bauamt])
    a, b = factories.vorgang(ordnungsamt), factories.vorgang(bauamt)
    db.session.commit()
    return {"oe_a": ordnungsamt.id, "oe_b": bauamt.id, "vorgang_a": a.nummer, "vorgang_b": b.nummer, "bernd": bernd.id}


@pytest.mark.parametrize(("rolle", "aktion", "erlaubt"), list(_faelle()))
def test_matrix(app, client, auth, welt, rolle, aktion, erlaubt):
    """The role may do exactly what the matrix says, in its own OE only unless it is system administration."""
    login = f"probe-{rolle}"
    factories.benutzer(login, "Paula Probst", [rolle], [_oe("197008")])
    db.session.commit()
    assert auth.login(login).status_code == 302
    assert bool(aktion(client, {**welt, "login": login})) is erlaubt
