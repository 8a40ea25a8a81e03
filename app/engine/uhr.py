"""SpiffWorkflow's timers read `datetime.now(timezone.utc)`; we point them at the app's one clock.

`app.timeutil.utcnow` is what tests monkeypatch; `faellige_timer_ausfuehren(jetzt)` additionally pins the time
for the duration of one run (a context variable), so a scheduler tick sees one consistent "now".
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer

from app import timeutil

_JETZT: ContextVar[datetime | None] = ContextVar("amtsfluss_engine_jetzt", default=None)


class _AppUhr(datetime):
    """`datetime` whose `now()` asks the app clock; everything else is the normal datetime."""

    @classmethod
    def now(cls, tz=None):
        """The pinned time of this run, or `app.timeutil.utcnow()`, in the requested zone."""
        wert = _JETZT.get() or timeutil.utcnow()
        return wert.astimezone(tz) if tz is not None else wert


def jetzt() -> datetime:
    """The engine's current time."""
    return _JETZT.get() or timeutil.utcnow()


@contextmanager
def festgehalten(zeitpunkt: datetime):
    """Run a block with the engine's clock pinned to `zeitpunkt`."""
    token = _JETZT.set(zeitpunkt)
    try:
        yield
    finally:
        _JETZT.reset(token)


def installieren() -> None:
    """Make SpiffWorkflow's timer module use the app clock (idempotent)."""
    _timer.datetime = _AppUhr
