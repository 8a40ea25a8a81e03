"""Demo data: an Ordnungsamt with one user per role and Vorgänge in every status."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from app.auth.models import ROLLEN
from app.auth.service import benutzer_anlegen, oe_anlegen, oe_finden
from app.engine.demo import verfahren_demo
from app.extensions import db
from app.timeutil import utcnow
from app.vorgaenge.service import anlegen, status_setzen
from app.vorgaenge.status import Status

DEMO_KENNUNG = "197008"

FORMULARE = [
    ("gewerbeanmeldung", "Gewerbeanmeldung", "99050012104000"),
    ("hundesteuer", "Hundesteuer-Anmeldung", "99107004001000"),
    ("baumfaellung", "Antrag auf Baumfällung", "99108008001000"),
    ("strassensperrung", "Antrag auf Straßensperrung", "99108007002000"),
    ("filmaufnahmen", "Antrag auf Filmaufnahmen im öffentlichen Raum", "99108011003000"),
    ("sondernutzung", "Sondernutzungserlaubnis für Außengastronomie", "99108011001000"),
]
PERSONEN = [
    ("Anna", "Schäfer", "Lindenstraße 4", "80331", "München"),
    ("Mehmet", "Yılmaz", "Goethestraße 17", "90402", "Nürnberg"),
    ("Jürgen", "Weiß", "Am Bach 2", "86150", "Augsburg"),
    ("Sophie", "Müller-Lüdenscheidt", "Hauptstraße 101", "93047", "Regensburg"),
    ("Lukas", "Brandt", "Kirchplatz 9", "97070", "Würzburg"),
    ("Olga", "Nowak", "Rosenweg 12a", "85049", "Ingolstadt"),
]
#: The walk through the transition table to reach each status.
WEGE = {
    Status.NEU: [],
    Status.ANGENOMMEN: [Status.ANGENOMMEN],
    Status.IN_BEARBEITUNG: [Status.ANGENOMMEN, Status.IN_BEARBEITUNG],
    Status.BESCHIEDEN: [Status.ANGENOMMEN, Status.IN_BEARBEITUNG, Status.BESCHIEDEN],
    Status.ABGESCHLOSSEN: [Status.ANGENOMMEN, Status.IN_BEARBEITUNG, Status.BESCHIEDEN, Status.ABGESCHLOSSEN],
    Status.VERWORFEN: [Status.VERWORFEN],
    Status.WEITERGELEITET: [Status.WEITERGELEITET],
    Status.ZU_LOESCHEN: [Status.VERWORFEN, Status.ZU_LOESCHEN],
}


@dataclass
class DemoErgebnis:
    """What was created, including the one-time passwords."""

    anzahl_vorgaenge: int = 0
    zugaenge: list[tuple[str, str, str]] = field(default_factory=list)


def gruppe(name: str, label: str, felder: list[tuple[str, str, object]]) -> dict:
    """A group of the form data tree with one field per (name, label, value); whole numbers are typed number."""
    kinder = [
        {"name": n, "label": lab, "typ": "number" if isinstance(w, int) else "string", "wert": w, "kinder": []}
        for n, lab, w in felder
    ]
    return {"name": name, "label": label, "typ": "group", "wert": None, "kinder": kinder}


def formulardaten(formular_id: str, person: tuple) -> list[dict]:
    """A small, plausible form data tree for one of the demo forms."""
    vorname, nachname, strasse, plz, ort = person
    besonderes = {
        "gewerbeanmeldung": [("taetigkeit", "Angemeldete Tätigkeit", "Onlinehandel mit Holzspielzeug")],
        "hundesteuer": [("hunderasse", "Hunderasse", "Labrador Retriever"), ("hundename", "Name des Hundes", "Bello")],
        "baumfaellung": [("baumart", "Baumart", "Rotbuche"), ("stammumfang", "Stammumfang in cm", 140)],
        "strassensperrung": [("grund", "Grund der Sperrung", "Umzug mit Möbelwagen")],
        "filmaufnahmen": [("produktion", "Produktion", "Kurzfilm „Morgenlicht“")],
        "sondernutzung": [("flaeche", "Fläche in m²", 24)],
    }[formular_id]
    person_felder = [
        ("vorname", "Vorname", vorname),
        ("nachname", "Nachname", nachname),
        ("strasse", "Straße und Hausnummer", strasse),
        ("plz", "PLZ", plz),
        ("ort", "Ort", ort),
    ]
    return [
        gruppe("antragsteller", "Antragsteller", person_felder),
        gruppe("angaben", "Angaben zum Antrag", besonderes),
    ]


def demo_anlegen(anzahl: int = 26, seed: int = 7) -> DemoErgebnis | None:
    """Create the demo OE, users and Vorgänge; None if they already exist."""
    if oe_finden(DEMO_KENNUNG):
        return None
    rng = random.Random(seed)
    oe = oe_anlegen("Ordnungsamt Musterstadt", DEMO_KENNUNG, "31005")
    ergebnis = DemoErgebnis()
    benutzer = {}
    namen = {
        "sachbearbeitung": "Sabine Berger",
        "leitung": "Lars Hoffmann",
        "verfahrensdesign": "Vera Dietrich",
        "administration": "Anton Richter",
        "systemadministration": "Sina Vogt",
    }
    for rolle in ROLLEN:
        login = namen[rolle].split()[0].lower()
        passwort = secrets.token_urlsafe(12)
        benutzer[rolle] = benutzer_anlegen(login, namen[rolle], passwort, [rolle], [oe], email=f"{login}@example.org")
        ergebnis.zugaenge.append((login, passwort, rolle))
    statuse = list(Status)
    for i in range(anzahl):
        formular_id, formular_name, leika = FORMULARE[i % len(FORMULARE)]
        person = PERSONEN[rng.randrange(len(PERSONEN))]
        vorgang = anlegen(
            oe,
            formular_id=formular_id,
            formular_name=formular_name,
            leika_ids=[leika],
            antragsteller={
                "art": "person",
                "vorname": person[0],
                "nachname": person[1],
                "strasse": person[2],
                "plz": person[3],
                "ort": person[4],
            },
            antragsteller_name=f"{person[0]} {person[1]}",
            formulardaten=formulardaten(formular_id, person),
            eingangsdatum=utcnow() - timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(0, 1440)),
        )
        ziel = statuse[i % len(statuse)]
        if ziel is not Status.NEU:
            vorgang.bearbeiter_id = benutzer["sachbearbeitung"].id
        if ziel in (Status.IN_BEARBEITUNG, Status.BESCHIEDEN, Status.ABGESCHLOSSEN):
            vorgang.aktenzeichen = f"OA-{utcnow().year}-{i + 1:04d}"
        # the routed BPMN procedure drives the status (app/engine/demo.py); the walk is the fallback
        if not verfahren_demo(vorgang, ziel, benutzer):
            for schritt in WEGE[ziel]:
                status_setzen(vorgang, schritt, benutzer["sachbearbeitung"])
        ergebnis.anzahl_vorgaenge += 1
    db.session.commit()
    return ergebnis
