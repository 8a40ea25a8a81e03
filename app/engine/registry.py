"""The model registry: deploy BPMN files as versions, find the latest version, cache parsed specs per version.

A version is identified by its process key and the SHA-256 of the file. Deploying an unchanged file creates no
version and does not even parse it. Two processes deploying at once both try to insert version n+1; the unique
constraint lets one win, the other retries and then finds the file already deployed.
"""

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, has_app_context
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.engine import dienste  # noqa: F401 — registers the built-in service handlers before any model runs
from app.engine.anbindung import anbinden
from app.engine.dmn import dmn_uebersetzen, entscheidungen
from app.engine.models import ProzessModellVersion
from app.engine.parser import AmtsflussParser
from app.engine.serialisierung import spec_als_dict, spec_aus_dict
from app.engine.validierung import (
    BPMN_NS,
    CAMUNDA_NS,
    Fehler,
    ModellUngueltig,
    datei_pruefen,
    haupt_prozess,
    spiff_fehler,
)
from app.extensions import db

log = logging.getLogger(__name__)


@dataclass
class GeladenesModell:
    """A version's spec objects, restored once per process and shared by all its instances."""

    sha256: str
    key: str
    spec: object
    subprocess_specs: dict
    #: Per element id: derived data the runner needs often (form fields…), filled lazily.
    abgeleitet: dict = field(default_factory=dict)

    def __post_init__(self):
        """Bind listeners, mappings and interrupting event subprocesses to the freshly restored spec objects."""
        anbinden(self.spec, self.subprocess_specs)


@dataclass
class DeployErgebnis:
    """What deploying one file did."""

    datei: str
    key: str
    version: int
    neu: bool
    #: Problems that do not stop the deploy (e.g. groups that go to the fallback role); empty when unchanged.
    warnungen: list[Fehler] = field(default_factory=list)


_CACHE: dict[str, GeladenesModell] = {}
_CACHE_LOCK = threading.Lock()


def modell_parsen(xml: bytes, datei: str):
    """Validate and parse one BPMN file; returns `(key, name, spec, subprocess_specs)` or raises ModellUngueltig.

    The specs come with listeners, mappings and interrupting event subprocesses bound (dry runs behave as live).
    """
    key, name, spec, subprocess_specs, _warnungen = _parsen(xml, datei)
    anbinden(spec, subprocess_specs)
    return key, name, spec, subprocess_specs


def _parsen(xml: bytes, datei: str):
    """`modell_parsen` plus the warnings. Dialect and structural errors are reported together."""
    gefunden, root = datei_pruefen(xml, datei)
    fehler = [f for f in gefunden if not f.warnung]
    warnungen = [f for f in gefunden if f.warnung]
    # after schema errors or dangling references SpiffWorkflow's parse only adds misleading messages
    if root is None or any(f.meldung.startswith(("BPMN-Schema", "Sequenzfluss hängt")) for f in fehler):
        raise ModellUngueltig(fehler)
    prozess = haupt_prozess(root)
    key = prozess.get("id") if prozess is not None else None
    spec = subprocess_specs = None
    if key is not None:
        parser = AmtsflussParser()
        try:
            parser.add_bpmn_xml(root, filename=datei)
            aufruf_fehler = _aufgerufene_laden(parser, root, datei) + _entscheidungen_laden(parser, root, datei)
            if not aufruf_fehler:
                spec = parser.get_spec(key)
                subprocess_specs = parser.get_subprocess_specs(key)
            fehler.extend(aufruf_fehler)
        except ValidationException as error:
            fehler.append(spiff_fehler(error, datei))
        except Exception as error:  # noqa: BLE001 — SpiffWorkflow raises many kinds; the designer needs the text
            fehler.append(spiff_fehler(ValidationException(str(error)), datei))
    if fehler:
        raise ModellUngueltig(fehler)
    return key, prozess.get("name") or key, spec, subprocess_specs, warnungen


def _aufgerufene_laden(parser: AmtsflussParser, root, datei: str) -> list[Fehler]:
    """Add the deployed models that call activities of this file call (and that the file does not contain).

    `camunda:calledElementBinding="version"` with `camunda:calledElementVersion` pins a version; otherwise the
    latest version at deploy time is bound (a later version of the called model needs a new deploy here).
    """
    fehler: list[Fehler] = []
    eigene = {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}
    geladen: set[str] = set()
    for aufruf in root.iter(f"{{{BPMN_NS}}}callActivity"):
        ziel = aufruf.get("calledElement")
        if not ziel or ziel in eigene or ziel in geladen or not has_app_context():
            continue
        version = None
        if aufruf.get(f"{{{CAMUNDA_NS}}}calledElementBinding") == "version":
            nummer = aufruf.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or ""
            if nummer.isdigit():
                version = db.session.scalars(
                    select(ProzessModellVersion).filter_by(key=ziel, version=int(nummer))
                ).first()
        else:
            version = neueste_version(ziel)
        if version is None:
            meldung = f"Aufgerufener Prozess „{ziel}“ ist weder in der Datei noch (in dieser Version) bereitgestellt."
            fehler.append(Fehler(datei, meldung, zeile=aufruf.sourceline, element=aufruf.get("id")))
            continue
        parser.add_bpmn_xml(etree.fromstring(version.xml.encode("utf-8")), filename=version.dateiname)
        geladen.add(ziel)
    return fehler


def _entscheidungen_laden(parser: AmtsflussParser, root, datei: str) -> list[Fehler]:
    """Add the deployed DMN tables that business rule tasks of this file name (`camunda:decisionRef`)."""
    fehler: list[Fehler] = []
    geladen: set[str] = set()
    for aufgabe in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        ref = aufgabe.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if not ref or ref in geladen or not has_app_context():
            continue
        version = neueste_version(DMN_PRAEFIX + ref)
        if version is None:
            meldung = f"Entscheidungstabelle „{ref}“ ist nicht bereitgestellt (.dmn-Datei zuerst bereitstellen)."
            fehler.append(Fehler(datei, meldung, zeile=aufgabe.sourceline, element=aufgabe.get("id")))
            continue
        tabelle, _ = dmn_uebersetzen(etree.fromstring(version.xml.encode("utf-8")))
        parser.add_dmn_xml(tabelle, filename=version.dateiname)
        geladen.update(entscheidungen(tabelle))
    return fehler


def dmn_pruefen(xml: bytes, datei: str) -> tuple[etree._Element | None, list[Fehler]]:
    """The DMN file's root and its errors as deploying sees them: XML, supported FEEL subset, SpiffWorkflow's parse."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        return None, [Fehler(datei, f"Kein wohlgeformtes XML: {error.msg}", zeile=error.lineno)]
    tabelle, probleme = dmn_uebersetzen(root)
    fehler = [Fehler(datei, meldung, zeile=zeile) for zeile, meldung in probleme]
    if not entscheidungen(root):
        fehler.append(Fehler(datei, "Die Datei enthält keine Entscheidung (<decision>)."))
    if not fehler:
        try:
            AmtsflussParser().add_dmn_xml(tabelle, filename=datei)
        except Exception as error:  # noqa: BLE001 — SpiffWorkflow's DMN parser raises many kinds
            fehler.append(spiff_fehler(ValidationException(str(error)), datei))
    return root, fehler


def deploy_dmn(xml: bytes, datei: str, von: str = "System") -> list[DeployErgebnis]:
    """Deploy a DMN file: one version per decision (key `dmn:<decision id>`), unchanged ones are skipped.

    FEEL unary tests outside the supported subset make it invalid (ModellUngueltig, with line). Flushes.
    """
    root, fehler = dmn_pruefen(xml, datei)
    if fehler:
        raise ModellUngueltig(fehler)
    sha = hashlib.sha256(xml).hexdigest()
    ergebnisse = []
    for decision in root.iter():
        if not isinstance(decision.tag, str) or etree.QName(decision).localname != "decision":
            continue
        key = DMN_PRAEFIX + decision.get("id")
        aktuell = neueste_version(key)
        if aktuell is not None and aktuell.sha256 == sha:
            ergebnisse.append(DeployErgebnis(datei, key, aktuell.version, neu=False))
            continue
        nummer = (aktuell.version if aktuell is not None else 0) + 1
        name = decision.get("name") or decision.get("id")
        db.session.add(
            ProzessModellVersion(
                key=key,
                name=f"Entscheidung: {name}",
                version=nummer,
                dateiname=Path(datei).name,
                xml=xml.decode("utf-8"),
                sha256=sha,
                spec={},
                deployed_von=von,
            )
        )
        db.session.flush()
        ergebnisse.append(DeployErgebnis(datei, key, nummer, neu=True))
    return ergebnisse


def key_aus_xml(xml: bytes) -> str | None:
    """The id of the executable process, read cheaply (None when the file is not usable XML)."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    prozess = haupt_prozess(root)
    return prozess.get("id") if prozess is not None else None


def neueste_version(key: str) -> ProzessModellVersion | None:
    """The latest deployed version of a procedure."""
    query = select(ProzessModellVersion).where(ProzessModellVersion.key == key)
    return db.session.scalars(query.order_by(ProzessModellVersion.version.desc())).first()


@dataclass(frozen=True)
class VersionInfo:
    """What starting an instance needs of a version (a plain value: safe to keep across sessions)."""

    id: int
    key: str
    name: str
    version: int
    sha256: str


#: Seconds a looked-up latest version is reused for starts (config `ENGINE_VERSION_CACHE_SEKUNDEN`; 0 = off).
VERSION_CACHE_SEKUNDEN = 2.0


def aktuelle_version(key: str) -> VersionInfo | None:
    """The latest version of a procedure for starting an instance, cached per app for a few seconds.

    A deploy in this process clears the cache at once; a deploy in another process (CLI, another worker) takes
    effect here within the cache time. Running instances stay on their version anyway.
    """
    ttl = current_app.config.get("ENGINE_VERSION_CACHE_SEKUNDEN", VERSION_CACHE_SEKUNDEN)
    cache = current_app.extensions.setdefault("engine_versionen", {})
    jetzt = time.monotonic()
    eintrag = cache.get(key)
    if eintrag is not None and eintrag[1] > jetzt:
        return eintrag[0]
    zeile = db.session.execute(
        select(
            ProzessModellVersion.id,
            ProzessModellVersion.key,
            ProzessModellVersion.name,
            ProzessModellVersion.version,
            ProzessModellVersion.sha256,
        )
        .where(ProzessModellVersion.key == key)
        .order_by(ProzessModellVersion.version.desc())
        .limit(1)
    ).first()
    info = VersionInfo(*zeile) if zeile is not None else None
    if info is not None and ttl > 0:
        cache[key] = (info, jetzt + ttl)
    return info


def _version_cache_leeren() -> None:
    """Forget the cached latest versions of this app (after a deploy)."""
    if has_app_context():
        current_app.extensions.get("engine_versionen", {}).clear()


def deploy_xml(xml: bytes, datei: str, von: str = "System", versuche: int = 5) -> DeployErgebnis:
    """Deploy one BPMN document (flush, no commit). Unchanged content → no new version, no parse."""
    sha = hashlib.sha256(xml).hexdigest()
    key = key_aus_xml(xml)
    if key is not None:
        aktuell = neueste_version(key)
        if aktuell is not None and aktuell.sha256 == sha:
            return DeployErgebnis(datei, key, aktuell.version, neu=False)
    key, name, spec, subprocess_specs, warnungen = _parsen(xml, datei)
    try:
        spec_dict = spec_als_dict(spec, subprocess_specs)
        json.dumps(spec_dict)
    except Exception as error:  # noqa: BLE001 — an element our serializer cannot store must not reach the flush
        meldung = f"Das Modell enthält ein Element, das Amtsfluss nicht speichern kann ({error})."
        raise ModellUngueltig([Fehler(datei, meldung)]) from None
    for _ in range(versuche):
        aktuell = neueste_version(key)
        if aktuell is not None and aktuell.sha256 == sha:
            return DeployErgebnis(datei, key, aktuell.version, neu=False)
        # the number comes from the same read as the hash comparison: if another process deploys in between,
        # our insert collides on (key, version) and the next round finds its version
        nummer = (aktuell.version if aktuell is not None else 0) + 1
        version = ProzessModellVersion(
            key=key,
            name=name,
            version=nummer,
            dateiname=Path(datei).name,
            xml=xml.decode("utf-8"),
            sha256=sha,
            spec=spec_dict,
            deployed_von=von,
        )
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            continue  # another process deployed the same key at the same moment; look again
        _version_cache_leeren()
        with _CACHE_LOCK:
            if sha not in _CACHE:
                _CACHE[sha] = GeladenesModell(sha, key, spec, subprocess_specs)
        log.info("Prozessmodell %s Version %s deployt (%s)", key, nummer, datei)
        return DeployErgebnis(datei, key, nummer, neu=True, warnungen=warnungen)
    raise RuntimeError(f"Prozessmodell {key} konnte nicht deployt werden (zu viele gleichzeitige Versuche)")


#: File names picked up in a folder (Camunda Modeler writes `.bpmn`, Camunda 7 examples `.bpmn20.xml`; DMN).
ENDUNGEN = (".bpmn", ".bpmn20.xml", ".dmn")
#: Key prefix of deployed decision tables (they are versions like procedures, but cannot be started).
DMN_PRAEFIX = "dmn:"


def bpmn_dateien(pfad: Path) -> list[Path]:
    """The BPMN and DMN files of a folder (DMN first, for the business rule tasks; sorted), or the one file given."""
    pfad = Path(pfad)
    if not pfad.is_dir():
        return [pfad]
    dateien = [p for p in pfad.iterdir() if p.is_file() and p.name.lower().endswith(ENDUNGEN)]
    return sorted(dateien, key=lambda p: (not p.name.lower().endswith(".dmn"), p.name))


def deploy_pfad(
    pfad: Path, von: str = "System", nur_neue: bool = False, vorher: Callable[[bytes, Path], list[Fehler]] | None = None
) -> tuple[list[DeployErgebnis], list[Fehler]]:
    """Deploy every BPMN file under `pfad`; valid files are deployed, all errors of invalid ones collected.

    Commits after each file, so one invalid file never blocks the others and never becomes active itself.
    `nur_neue` skips files of procedures the database already has (start-up: the database is the source of truth).
    `vorher(xml, datei)` runs before each BPMN file is deployed (the CLI: the workbench's test cases); errors it
    returns stop that file only.
    """
    ergebnisse: list[DeployErgebnis] = []
    fehler: list[Fehler] = []
    dateien = bpmn_dateien(pfad)
    if not dateien:
        fehler.append(Fehler(str(pfad), "Keine BPMN-Datei gefunden."))
    for datei in dateien:
        try:
            xml = datei.read_bytes()
            if datei.name.lower().endswith(".dmn"):
                ergebnisse.extend(deploy_dmn(xml, str(datei), von))
            elif nur_neue and (key := key_aus_xml(xml)) is not None and neueste_version(key) is not None:
                continue
            else:
                if vorher is not None and (abgelehnt := vorher(xml, datei)):
                    raise ModellUngueltig(abgelehnt)
                ergebnisse.append(deploy_xml(xml, str(datei), von))
            db.session.commit()
        except ModellUngueltig as error:
            db.session.rollback()
            fehler.extend(error.fehler)
        except OSError as error:
            fehler.append(Fehler(str(datei), f"Datei nicht lesbar: {error}"))
        except Exception as error:  # noqa: BLE001 — one broken file never stops the others; say what happened
            db.session.rollback()
            log.exception("Deployment von %s fehlgeschlagen", datei)
            fehler.append(Fehler(str(datei), f"Bereitstellen fehlgeschlagen ({error.__class__.__name__}): {error}"))
    return ergebnisse, fehler


def modell(version: ProzessModellVersion | VersionInfo) -> GeladenesModell:
    """The restored spec of a version, from the in-process cache (keyed by content hash)."""
    geladen = _CACHE.get(version.sha256)
    if geladen is None:
        if isinstance(version, VersionInfo):
            abfrage = select(ProzessModellVersion.spec).where(ProzessModellVersion.id == version.id)
            spec_dict = db.session.scalar(abfrage)
        else:
            spec_dict = version.spec
        spec, subs = spec_aus_dict(spec_dict)
        with _CACHE_LOCK:
            if version.sha256 not in _CACHE:
                _CACHE[version.sha256] = GeladenesModell(version.sha256, version.key, spec, subs)
            geladen = _CACHE[version.sha256]
    return geladen
