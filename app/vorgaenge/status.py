"""The status of a Vorgang and the table of allowed transitions (see docs/status.md)."""

from enum import StrEnum


class Status(StrEnum):
    """Status values as shown to people and stored in the database."""

    NEU = "Neu"
    ANGENOMMEN = "Angenommen"
    IN_BEARBEITUNG = "In Bearbeitung"
    BESCHIEDEN = "Beschieden"
    ABGESCHLOSSEN = "Abgeschlossen"
    VERWORFEN = "Verworfen"
    WEITERGELEITET = "Weitergeleitet"
    ZU_LOESCHEN = "Zu Löschen"

    @property
    def slug(self) -> str:
        """URL-friendly name, e.g. `in_bearbeitung`."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> "Status":
        """Inverse of `slug`; raises ValueError for unknown values."""
        try:
            return cls[slug.upper()]
        except KeyError:
            raise ValueError(f"Unbekannter Status: {slug!r}") from None


S = Status

#: Allowed transitions. `Zu Löschen` goes back to the status it came from (Löschung abgelehnt),
#: which `erlaubte_ziele` adds from the Vorgang's remembered previous status.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEU: frozenset({S.ANGENOMMEN, S.VERWORFEN, S.WEITERGELEITET}),
    S.ANGENOMMEN: frozenset({S.IN_BEARBEITUNG, S.VERWORFEN, S.WEITERGELEITET}),
    S.IN_BEARBEITUNG: frozenset({S.BESCHIEDEN, S.VERWORFEN, S.WEITERGELEITET}),
    S.BESCHIEDEN: frozenset({S.ABGESCHLOSSEN, S.IN_BEARBEITUNG}),
    S.ABGESCHLOSSEN: frozenset({S.IN_BEARBEITUNG, S.ZU_LOESCHEN}),
    S.VERWORFEN: frozenset({S.NEU, S.ZU_LOESCHEN}),
    S.WEITERGELEITET: frozenset({S.ZU_LOESCHEN}),
    S.ZU_LOESCHEN: frozenset(),
}

#: Status in which a Vorgang counts as open: case-level actions are available.
OFFEN = frozenset({S.NEU, S.ANGENOMMEN, S.IN_BEARBEITUNG, S.BESCHIEDEN})


def erlaubte_ziele(aktuell: Status, vorheriger: Status | None = None) -> frozenset[Status]:
    """The statuses a Vorgang in `aktuell` may move to."""
    if aktuell is S.ZU_LOESCHEN:
        return frozenset({vorheriger}) if vorheriger else frozenset()
    return TRANSITIONS[aktuell]


class UngueltigerStatuswechsel(Exception):
    """A status change that the transition table does not allow (HTTP 409 in views)."""

    def __init__(self, von: Status, nach: Status):
        """Remember both ends for the message."""
        self.von, self.nach = von, nach
        super().__init__(f"Statuswechsel von „{von}“ nach „{nach}“ ist nicht erlaubt.")
