"""Bounds on the size of a form: number of fields, nesting, length of one value (configurable per call).

A delivery beyond them is refused with a clear AdapterFehler (400). The cheap checks run before the big
structures are built (JSON objects are counted while decoding, XML tags counted in the bytes), so a body
with millions of tiny fields never becomes millions of objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adapters.antrag import AdapterFehler, Feld


@dataclass(frozen=True)
class Grenzen:
    """Largest form an adapter accepts."""

    max_felder: int = 10_000
    max_tiefe: int = 32
    max_wert_zeichen: int = 100_000


STANDARD = Grenzen()


def zu_viele_felder(grenzen: Grenzen, was: str = "Das Formular") -> AdapterFehler:
    """AdapterFehler ``zu_viele_felder``."""
    return AdapterFehler(f"{was} hat mehr als {grenzen.max_felder} Felder", "zu_viele_felder")


def xml_vorpruefen(daten: bytes, grenzen: Grenzen, was: str) -> None:
    """Refuse an XML document whose tag count alone shows it holds more fields than allowed (before parsing)."""
    if daten.count(b"<") > 2 * grenzen.max_felder + 1000:
        raise zu_viele_felder(grenzen, was)


class ObjektZaehler:
    """``object_hook`` for ``json.loads`` that stops decoding once more objects than allowed were built."""

    def __init__(self, grenzen: Grenzen, was: str) -> None:
        """Allow a few objects beyond the field limit for the envelope (control, serviceKonto …)."""
        self.rest = grenzen.max_felder + 100
        self.grenzen, self.was = grenzen, was

    def __call__(self, objekt: dict) -> dict:
        """Count one decoded object."""
        self.rest -= 1
        if self.rest < 0:
            raise zu_viele_felder(self.grenzen, self.was)
        return objekt


def felder_pruefen(felder: Iterable[Feld], grenzen: Grenzen) -> None:
    """Check count, nesting and value length of a parsed field tree; AdapterFehler ``zu_viele_felder``,
    ``zu_tief_verschachtelt`` or ``wert_zu_lang`` naming the limit (never the value)."""
    anzahl = 0
    stapel = [(feld, 1) for feld in felder]
    while stapel:
        feld, tiefe = stapel.pop()
        anzahl += 1
        if anzahl > grenzen.max_felder:
            raise zu_viele_felder(grenzen)
        if tiefe > grenzen.max_tiefe:
            raise AdapterFehler(
                f"Feld {feld.name[:100]!r} ist tiefer als {grenzen.max_tiefe} Ebenen verschachtelt",
                "zu_tief_verschachtelt",
            )
        for text in (feld.wert, feld.label, feld.anzeigewert):
            if isinstance(text, str) and len(text) > grenzen.max_wert_zeichen:
                raise AdapterFehler(
                    f"Feld {feld.name[:100]!r} hat einen Wert mit {len(text)} Zeichen; "
                    f"erlaubt sind höchstens {grenzen.max_wert_zeichen}",
                    "wert_zu_lang",
                )
        stapel.extend((kind, tiefe + 1) for kind in feld.kinder)
