"""Routing: the OE for an Antrag (routing table, Kennung, default OE), with a short per-process cache."""

from __future__ import annotations

import threading

from cachetools import TTLCache
from flask import current_app, has_app_context
from sqlalchemy import and_, event, false, or_, select
from sqlalchemy.orm import Session

from adapters import Antrag
from app.extensions import db
from app.intake.models import IntakeRouting
from app.organisation.models import Organisationseinheit


class RoutingFehler(Exception):
    """No OE could be determined and no default OE is configured (or the routed Verfahren is not deployed)."""

    code = "routing"


def routing_schluessel(antrag: Antrag) -> list[tuple[str, str]]:
    """The (kind, key) pairs of an Antrag that the routing table is searched for, most specific first."""
    kopf = antrag.kopf
    paare = []
    if kopf.zustaendige_stelle:
        paare.append(("zustaendige_stelle", kopf.zustaendige_stelle.strip()))
    if kopf.mandant and kopf.quelle == "intelliform":
        paare.append(("intelliform_kunde", kopf.mandant.strip()))
    if kopf.mandant and kopf.quelle == "formsolutions":
        paare.append(("formsolutions_mandant", kopf.mandant.strip()))
    return paare


#: Seconds a routing decision is reused (config `INTAKE_ROUTING_CACHE_SEKUNDEN`; 0 = off).
ROUTING_CACHE_SEKUNDEN = 2.0
#: Routing decisions kept per app process (keys come from outside: bounded).
ROUTING_CACHE_GROESSE = 1000
_routing_lock = threading.Lock()


def _routing_cache() -> TTLCache | None:
    """This app's cache of routing decisions ``(keys) → (oe id, pruefen, reason)``; None when switched off."""
    ttl = current_app.config.get("INTAKE_ROUTING_CACHE_SEKUNDEN", ROUTING_CACHE_SEKUNDEN)
    if ttl <= 0:
        return None
    cache = current_app.extensions.get("intake_routing")
    if cache is None or cache.ttl != ttl:
        cache = current_app.extensions["intake_routing"] = TTLCache(ROUTING_CACHE_GROESSE, ttl)
    return cache


def oe_ermitteln(antrag: Antrag) -> tuple[Organisationseinheit, bool, str]:
    """The OE of an Antrag: routing table, then an OE whose Kennung equals the zuständige Stelle, else the
    default OE with "Zuständigkeit prüfen". Returns (oe, zustaendigkeit_pruefen, reason).

    The decision is reused per app for ``INTAKE_ROUTING_CACHE_SEKUNDEN``; changes to routing rows or OEs made
    through the ORM in this process clear the cache at once (:func:`_routing_cache_leeren`), changes by
    another process apply here within the cache time. Failures are never cached.
    """
    paare = routing_schluessel(antrag)
    stelle = (antrag.kopf.zustaendige_stelle or "").strip()
    schluessel = (tuple(paare), stelle)
    cache = _routing_cache()
    if cache is not None:
        with _routing_lock:
            treffer = cache.get(schluessel)
        if treffer is not None:
            oe_id, pruefen, grund = treffer
            oe = db.session.get(Organisationseinheit, oe_id)
            if oe is not None:
                return oe, pruefen, grund
    oe, pruefen, grund = _oe_abfragen(paare, stelle)
    if cache is not None:
        with _routing_lock:
            cache[schluessel] = (oe.id, pruefen, grund)
    return oe, pruefen, grund


def _oe_abfragen(paare: list[tuple[str, str]], stelle: str) -> tuple[Organisationseinheit, bool, str]:
    """The routing decision of :func:`oe_ermitteln` from the database (one query)."""
    arten = [art for art, _ in paare] + ["standard"]
    schluessel = [wert for _, wert in paare] + ["*"]
    zeilen = db.session.execute(
        select(Organisationseinheit, IntakeRouting.art, IntakeRouting.schluessel)
        .outerjoin(
            IntakeRouting,
            and_(
                IntakeRouting.oe_id == Organisationseinheit.id,
                IntakeRouting.art.in_(arten),
                IntakeRouting.schluessel.in_(schluessel),
            ),
        )
        .where(or_(IntakeRouting.id.is_not(None), Organisationseinheit.kennung == stelle if stelle else false()))
    ).all()
    tabelle = {(art, wert): oe for oe, art, wert in zeilen if art}
    for paar in paare:
        if paar in tabelle:
            return tabelle[paar], False, ""
    nach_kennung = next((oe for oe, _art, _wert in zeilen if stelle and oe.kennung == stelle), None)
    if nach_kennung is not None:
        return nach_kennung, False, ""
    beschreibung = ", ".join(f"{art}={wert!r}" for art, wert in paare) or "keine Zuständigkeitsangabe"
    standard = tabelle.get(("standard", "*"))
    if standard is None:
        raise RoutingFehler(
            f"Keine Organisationseinheit für {beschreibung} gefunden und keine Standard-OE konfiguriert "
            "(Administration → Formulardienste → Zuständigkeiten)"
        )
    return standard, True, f"Keine Zuordnung für {beschreibung}; an die Standard-OE geleitet."


@event.listens_for(Session, "after_flush")
def _routing_cache_leeren(session: Session, _kontext) -> None:
    """Clear the routing cache of this app when a flush wrote routing rows or OEs."""
    if not has_app_context():
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, IntakeRouting | Organisationseinheit):
            cache = current_app.extensions.get("intake_routing")
            if cache is not None:
                with _routing_lock:
                    cache.clear()
            return
