"""Labels of form fields: the delivery's own label, else the form's label file (app.vorgaenge.beschriftungsdateien).

A label file ``<formular-id>.toml`` (characters other than letters, digits, ``-`` and ``_`` become ``_``) maps a
field name or a ``gruppe.feld`` path to its label; ``_gemeinsam`` holds labels shared by every form. The simulator
reads the same labels, so it sends them as the real form services do.
"""

from __future__ import annotations

from pathlib import Path

from app.vorgaenge.beschriftungsdateien import GEMEINSAM, datei_laden, dateiname, labels_fuer


def labels_laden(formular_id: str | None, ordner: Path | None = None) -> dict[str, str]:
    """Field name or ``gruppe.feld`` → label for one form: the shared labels, overridden by the form's own.

    Without `ordner` the installation's labels (database or shipped files), with it the files of that folder.
    """
    staemme = [GEMEINSAM] + ([dateiname(formular_id)] if formular_id else [])
    gefunden = labels_fuer(staemme) if ordner is None else {s: datei_laden(ordner, s) for s in staemme}
    labels: dict[str, str] = {}
    for stamm in staemme:
        labels.update(gefunden[stamm])
    return labels


def label_fuer(labels: dict[str, str], pfad: str, name: str) -> str | None:
    """The label of the field at ``pfad`` (``gruppe.feld``) or of its bare ``name``; None when unknown."""
    return labels.get(pfad) or labels.get(name)


def beschriften(felder: list[dict], formular_id: str | None, ordner: Path | None = None) -> list[dict]:
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
