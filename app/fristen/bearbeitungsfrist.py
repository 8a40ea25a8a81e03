"""The legal processing deadline per procedure, from ``processes/bearbeitungsfristen.toml``: counted from the
Eingang, shown on the list and the Vorgang, with a warning some days before it passes. Only open Vorgänge have
one; a decided (Beschieden) or closed Vorgang met or left it."""

import calendar
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from app.config import ROOT
from app.engine.models import ProzessInstanz, ProzessModellVersion
from app.extensions import db
from app.templating import datum
from app.timeutil import ZEITZONE, heute
from app.vorgaenge.models import Vorgang
from app.vorgaenge.status import Status

DATEI = ROOT / "processes" / "bearbeitungsfristen.toml"
#: Statuses in which the deadline still runs (Beschieden: the decision is made).
LAUFEND = {Status.NEU, Status.ANGENOMMEN, Status.IN_BEARBEITUNG}


@dataclass(frozen=True)
class Bearbeitungsfrist:
    """The deadline of one Vorgang and how close it is."""

    ende: date
    genehmigungsfiktion: bool
    tage_uebrig: int
    warnen: bool

    @property
    def abgelaufen(self) -> bool:
        """The last day has passed."""
        return self.tage_uebrig < 0

    @property
    def text(self) -> str:
        """`28.02.2027 (noch 5 Tage)` / `28.02.2027 (abgelaufen)` for the page."""
        if self.abgelaufen:
            lage = "abgelaufen" + (" – Genehmigungsfiktion prüfen" if self.genehmigungsfiktion else "")
        elif self.tage_uebrig == 0:
            lage = "endet heute"
        else:
            lage = f"noch {self.tage_uebrig} Tag{'e' if self.tage_uebrig != 1 else ''}"
        return f"{datum(self.ende)} ({lage})"


@lru_cache(maxsize=4)
def regeln(pfad: Path = DATEI) -> dict[str, dict]:
    """Procedure key → its rule (cached: a shipped file)."""
    return tomllib.loads(pfad.read_text(encoding="utf-8")) if pfad.is_file() else {}


def _plus_monate(tag: date, monate: int) -> date:
    """Same day `monate` later, clamped to the month's end (31.11. → 30.11.)."""
    jahr, monat = divmod(tag.month - 1 + monate, 12)
    jahr, monat = tag.year + jahr, monat + 1
    return date(jahr, monat, min(tag.day, calendar.monthrange(jahr, monat)[1]))


def berechnen(eingang: date, regel: dict, stichtag: date) -> Bearbeitungsfrist:
    """The deadline of a Vorgang received on `eingang` under `regel`, seen on `stichtag`."""
    ende = _plus_monate(eingang, int(regel.get("monate", 0))) + timedelta(days=int(regel.get("tage", 0)))
    uebrig = (ende - stichtag).days
    return Bearbeitungsfrist(
        ende=ende,
        genehmigungsfiktion=bool(regel.get("genehmigungsfiktion", False)),
        tage_uebrig=uebrig,
        warnen=uebrig <= int(regel.get("warnen_tage", 14)),
    )


def fuer_vorgaenge(vorgaenge: list[Vorgang]) -> dict[int, Bearbeitungsfrist]:
    """Deadlines of the running Vorgänge among `vorgaenge` whose procedure has one (one query for a page)."""
    laufend = {v.id: v for v in vorgaenge if v.status_enum in LAUFEND}
    alle_regeln = regeln()
    if not laufend or not alle_regeln:
        return {}
    zeilen = db.session.execute(
        select(ProzessInstanz.vorgang_id, ProzessModellVersion.key)
        .join(ProzessModellVersion, ProzessModellVersion.id == ProzessInstanz.modell_version_id)
        .where(ProzessInstanz.vorgang_id.in_(laufend), ProzessModellVersion.key.in_(alle_regeln))
    ).all()
    stichtag = heute()
    return {
        vid: berechnen(laufend[vid].eingangsdatum.astimezone(ZEITZONE).date(), alle_regeln[key], stichtag)
        for vid, key in zeilen
    }
