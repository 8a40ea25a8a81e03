"""The label files of the forms: shipped in `processes/formulare/`, kept in the database once taken over.

Until the set is taken over (app.einstellungen: at start-up when the database has none, or at the first change in
the workbench) the files count; afterwards only the table `formular_beschriftung`. The TOML file (a `[felder]`
table: field name or `gruppe.feld` → label) stays the import and export format.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select

from app.config import ROOT
from app.einstellungen import BESCHRIFTUNGEN, als_uebernommen_markieren, in_datenbank, toml_tabelle
from app.extensions import db
from app.vorgaenge.models import FormularBeschriftung

#: Where the shipped label files live.
ORDNER = ROOT / "processes" / "formulare"
GEMEINSAM = "_gemeinsam"
_UNERLAUBT = re.compile(r"[^A-Za-z0-9_-]")
#: Largest label file accepted from the browser.
MAX_BYTES = 200_000


class BeschriftungUngueltig(ValueError):
    """A label file or form name that cannot be stored (German message)."""


def dateiname(formular_id: str) -> str:
    """The label file's stem for a form id (``32/baumfaellgenehmigung`` → ``32_baumfaellgenehmigung``)."""
    return _UNERLAUBT.sub("_", formular_id)[:120]


@lru_cache(maxsize=256)
def datei_laden(ordner: Path, stamm: str) -> dict[str, str]:
    """The ``[felder]`` table of one label file; empty when there is none (cached: the files are shipped)."""
    pfad = ordner / f"{stamm}.toml"
    if not pfad.is_file():
        return {}
    return toml_lesen(pfad.read_text(encoding="utf-8"))


def toml_lesen(text: str) -> dict[str, str]:
    """A label file's text as field → label; BeschriftungUngueltig (German) when malformed."""
    try:
        felder = tomllib.loads(text).get("felder", {})
    except tomllib.TOMLDecodeError as error:
        raise BeschriftungUngueltig(f"Kein gültiges TOML: {error}") from None
    if not isinstance(felder, dict) or any(isinstance(v, dict | list) for v in felder.values()):
        raise BeschriftungUngueltig('[felder] muss eine Tabelle sein (Feld = "Beschriftung").')
    return {str(k): str(v) for k, v in felder.items()}


def toml_schreiben(stamm: str, felder: dict[str, str]) -> str:
    """One form's labels as a label file."""
    return f"# Beschriftungen des Formulars „{stamm}“ (aus Amtsfluss exportiert)\n\n" + toml_tabelle("felder", felder)


def labels_fuer(staemme: list[str]) -> dict[str, dict[str, str]]:
    """Field labels of the given file stems from where they live now (database or shipped files)."""
    if not in_datenbank(BESCHRIFTUNGEN):
        return {stamm: datei_laden(ORDNER, stamm) for stamm in staemme}
    zeilen = db.session.scalars(select(FormularBeschriftung).where(FormularBeschriftung.formular.in_(staemme)))
    gefunden = {zeile.formular: zeile.felder for zeile in zeilen}
    return {stamm: gefunden.get(stamm, {}) for stamm in staemme}


def alle() -> dict[str, dict[str, str]]:
    """Every form's labels (stem → field → label), sorted by stem."""
    if in_datenbank(BESCHRIFTUNGEN):
        zeilen = db.session.scalars(select(FormularBeschriftung).order_by(FormularBeschriftung.formular))
        return {zeile.formular: zeile.felder for zeile in zeilen}
    return {pfad.stem: datei_laden(ORDNER, pfad.stem) for pfad in sorted(ORDNER.glob("*.toml"))}


def uebernehmen(von: str = "Start") -> bool:
    """Take the shipped files over into the database unless done; True when it did. Flushes."""
    if in_datenbank(BESCHRIFTUNGEN):
        return False
    dateien = alle()
    db.session.execute(delete(FormularBeschriftung))
    for stamm, felder in dateien.items():
        db.session.add(FormularBeschriftung(formular=stamm, felder=felder, geaendert_von=von))
    db.session.flush()
    als_uebernommen_markieren(BESCHRIFTUNGEN, von)
    return True


def setzen(formular: str, felder: dict[str, str], von: str) -> dict[str, str] | None:
    """Store one form's labels (a new form or a change); returns the previous labels. Flushes."""
    stamm = formular.strip()
    if not stamm or stamm != dateiname(stamm):
        raise BeschriftungUngueltig("Die Formular-ID darf nur Buchstaben, Ziffern, - und _ enthalten (bis 120).")
    if any(not k.strip() or len(k) > 200 or len(v) > 500 for k, v in felder.items()):
        raise BeschriftungUngueltig("Jedes Feld braucht einen Namen (bis 200 Zeichen) und eine Beschriftung (bis 500).")
    uebernehmen(von)
    zeile = db.session.scalars(select(FormularBeschriftung).where(FormularBeschriftung.formular == stamm)).first()
    vorher = dict(zeile.felder) if zeile is not None else None
    if zeile is None:
        db.session.add(FormularBeschriftung(formular=stamm, felder=felder, geaendert_von=von))
    else:
        zeile.felder, zeile.geaendert_von = dict(felder), von
    db.session.flush()
    return vorher


def loeschen(formular: str, von: str) -> dict[str, str] | None:
    """Remove one form's labels; returns them, None when there were none. Flushes."""
    uebernehmen(von)
    zeile = db.session.scalars(select(FormularBeschriftung).where(FormularBeschriftung.formular == formular)).first()
    if zeile is None:
        return None
    db.session.delete(zeile)
    db.session.flush()
    return dict(zeile.felder)
