"""Labels of form fields: the delivery's own label, else the form's label file in ``processes/formulare/``.

A label file ``<formular-id>.toml`` (characters other than letters, digits, ``-`` and ``_`` become ``_``) has a
``[felder]`` table mapping a field name or a ``gruppe.feld`` path to its label; ``_gemeinsam.toml`` holds labels
shared by every form. The simulator reads the same files, so it sends labels as the real form services do.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from app.config import ROOT

#: Where the shipped label files live.
ORDNER = ROOT / "processes" / "formulare"
_GEMEINSAM = "_gemeinsam"
_UNERLAUBT = re.compile(r"[^A-Za-z0-9_-]")


def dateiname(formular_id: str) -> str:
    """The label file's stem for a form id (``32/baumfaellgenehmigung`` → ``32_baumfaellgenehmigung``)."""
    return _UNERLAUBT.sub("_", formular_id)[:120]


@lru_cache(maxsize=256)
def _datei_laden(ordner: Path, stamm: str) -> dict[str, str]:
    """The ``[felder]`` table of one label file; empty when there is none (cached: the files are shipped)."""
    pfad = ordner / f"{stamm}.toml"
    if not pfad.is_file():
        return {}
    felder = tomllib.loads(pfad.read_text(encoding="utf-8")).get("felder", {})
    return {str(k): str(v) for k, v in felder.items()}


def labels_laden(formular_id: str | None, ordner: Path = ORDNER) -> dict[str, str]:
    """Field name or ``gruppe.feld`` → label for one form: the shared labels, overridden by the form's own."""
    labels = dict(_datei_laden(ordner, _GEMEINSAM))
    if formular_id:
        labels.update(_datei_laden(ordner, dateiname(formular_id)))
    return labels


def label_fuer(labels: dict[str, str], pfad: str, name: str) -> str | None:
    """The label of the field at ``pfad`` (``gruppe.feld``) or of its bare ``name``; None when unknown."""
    return labels.get(pfad) or labels.get(name)


def beschriften(felder: list[dict], formular_id: str | None, ordner: Path = ORDNER) -> list[dict]:
    """The stored form data tree with a readable ``label`` on every field (a copy; the stored data stays raw).

    A delivered label wins unless it is only the technical name again. A file field shows "Datei" and the file
    name as its value instead of the form service's internal file id.
    """
    return _beschriften(felder or [], labels_laden(formular_id, ordner), "")


def _beschriften(felder: list[dict], labels: dict[str, str], eltern: str) -> list[dict]:
    """Walk one level of the tree; ``eltern`` is the dotted path of the parent group."""
    ergebnis = []
    for feld in felder:
        if not isinstance(feld, dict):
            continue
        name = str(feld.get("name") or "")
        pfad = f"{eltern}.{name}" if eltern else name
        neu = dict(feld)
        geliefert = feld.get("label")
        if feld.get("typ") == "file":
            neu["label"] = label_fuer(labels, pfad, name) or "Datei"
            neu["anzeigewert"] = feld.get("anzeigewert") or geliefert or "Datei"
        elif not geliefert or geliefert == name:
            neu["label"] = label_fuer(labels, pfad, name) or _lesbar(name)
        if feld.get("kinder"):
            neu["kinder"] = _beschriften(feld["kinder"], labels, pfad)
        ergebnis.append(neu)
    return ergebnis


def _lesbar(name: str) -> str:
    """A last resort for a key nobody labelled: ``stamm_umfang`` → ``Stamm umfang``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else "–"
