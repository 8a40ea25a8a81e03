"""The clock of a test or dry run: starts at app.timeutil's now and only moves when the run says so.

SpiffWorkflow computes a duration timer's due time from the real clock when the timer starts waiting; the run sets
it again from this clock (same expression, same calendar arithmetic), so "advance by P14D" fires a P14D timer
exactly and nothing depends on the real clock's milliseconds. Timers with a fixed date keep their date. Cycle
timers are not moved by this clock (they fire only by the real one).
"""

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from app.timeutil import utcnow

#: The timers this clock fires.
BEWEGLICH = (DurationTimerEventDefinition, TimeDateEventDefinition)


def dauer(text: str, ab: datetime) -> timedelta:
    """An ISO 8601 duration (`P14D`, `PT2H`) from `ab` (months and years by the calendar); ValueError otherwise."""
    try:
        if len(text) < 3 or not text.upper().startswith("P"):  # the library reads "" and "P" as no time at all
            raise ValueError
        return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(text), ab)
    except Exception:  # noqa: BLE001 — SpiffWorkflow raises a bare Exception for a bad duration
        raise ValueError(f"„{text}“ ist keine ISO-8601-Dauer (z. B. P14D oder PT2H).") from None


class Probeuhr:
    """The virtual now of one run and the due times of its waiting timers."""

    def __init__(self, start: datetime | None = None):
        """Start at `start` (default: now)."""
        self.start = start or utcnow()
        self.jetzt = self.start
        self._gestellt: set = set()

    def stellen(self, workflow) -> None:
        """Give duration timers that just started waiting their due time on this clock."""
        for task in self.wartende(workflow):
            definition = task.task_spec.event_definition
            if task.id in self._gestellt or not isinstance(definition, DurationTimerEventDefinition):
                continue
            ausdruck = workflow.script_engine.evaluate(task, definition.expression)
            task.internal_data["event_value"] = (self.jetzt + dauer(str(ausdruck), self.jetzt)).isoformat()
            self._gestellt.add(task.id)

    @staticmethod
    def wartende(workflow) -> list:
        """The waiting timer events this clock can fire (duration and date timers)."""
        return [
            t
            for t in list(workflow.event_manager.tasks.values())
            if isinstance(
                getattr(t.task_spec, "event_definition", None), (DurationTimerEventDefinition, TimeDateEventDefinition)
            )
        ]

    @staticmethod
    def faellig(task) -> datetime | None:
        """When a waiting timer is due (None before it computed its time)."""
        wert = task.internal_data.get("event_value")
        if not isinstance(wert, str):
            return None
        zeitpunkt = TimerEventDefinition.parse_time_or_duration(wert)
        return zeitpunkt if isinstance(zeitpunkt, datetime) else None

    def naechster(self, workflow, bis: datetime):
        """`(due, task)` of the earliest waiting timer due by `bis`, or None."""
        kandidaten = [(self.faellig(t), t) for t in self.wartende(workflow)]
        kandidaten = [(z, t) for z, t in kandidaten if z is not None and z <= bis]
        return min(kandidaten, key=lambda paar: paar[0]) if kandidaten else None
