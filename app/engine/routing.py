"""Which procedure a Vorgang runs: `processes/routing.toml`, edited by process designers, no code.

Lookup order: form id, then each LeiKa id, then the fallback (`standard`). The file is re-read when it changes.
"""

import tomllib
from pathlib import Path

from flask import current_app, has_app_context

ALLGEMEIN = "allgemeines_verfahren"
_CACHE: dict[str, tuple[float, dict]] = {}


def routing_datei() -> Path:
    """The routing file (config `PROCESS_ROUTING_FILE`, default `processes/routing.toml`)."""
    from app.config import ROOT

    if has_app_context() and current_app.config.get("PROCESS_ROUTING_FILE"):
        return Path(current_app.config["PROCESS_ROUTING_FILE"])
    return ROOT / "processes" / "routing.toml"


def routing_laden(pfad: Path | None = None) -> dict:
    """The parsed routing file (cached until its modification time changes)."""
    pfad = pfad or routing_datei()
    try:
        stand = pfad.stat().st_mtime
    except FileNotFoundError:
        return {"standard": ALLGEMEIN, "formulare": {}, "leika": {}}
    gecacht = _CACHE.get(str(pfad))
    if gecacht and gecacht[0] == stand:
        return gecacht[1]
    with pfad.open("rb") as datei:
        daten = tomllib.load(datei)
    daten.setdefault("standard", ALLGEMEIN)
    daten.setdefault("formulare", {})
    daten.setdefault("leika", {})
    _CACHE[str(pfad)] = (stand, daten)
    return daten


def verfahren_fuer(formular_id: str, leika_ids: list[str]) -> str:
    """The procedure key for a form id and LeiKa ids; unknown forms get the general procedure."""
    routing = routing_laden()
    if formular_id and formular_id in routing["formulare"]:
        return routing["formulare"][formular_id]
    for leika in leika_ids or []:
        if leika in routing["leika"]:
            return routing["leika"][leika]
    return routing["standard"]


def routing_pruefen(bekannte_keys: set[str], pfad: Path | None = None) -> list[str]:
    """Problems of the routing file: TOML syntax, targets that are not deployed procedures (German messages)."""
    pfad = pfad or routing_datei()
    if not pfad.exists():
        return []
    try:
        with pfad.open("rb") as datei:
            daten = tomllib.load(datei)
    except tomllib.TOMLDecodeError as error:
        return [f"{pfad}: kein gültiges TOML: {error}"]
    fehler = []
    ziele = [("standard", daten.get("standard", ALLGEMEIN))]
    for abschnitt in ("formulare", "leika"):
        ziele += [(f"{abschnitt}.{k}", v) for k, v in (daten.get(abschnitt) or {}).items()]
    for wo, ziel in ziele:
        if ziel not in bekannte_keys:
            fehler.append(f"{pfad}: [{wo}] Verfahren „{ziel}“ ist nicht bereitgestellt.")
    return fehler
