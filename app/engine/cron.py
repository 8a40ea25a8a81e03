"""Cron `timeCycle` (Camunda 7 writes Quartz cron: `sec min hour day month weekday [year]`) as an ISO cycle.

SpiffWorkflow's cycle timer repeats at a fixed interval, so a cron becomes `R/<next firing>/<interval>`: the
first firing is exact, the following ones keep the distance between the first two firings. Regular patterns
(every 5 minutes, daily at 9:00) are exact; irregular ones (Mon–Fri only) are not — see docs/bpmn.md.
"""

import re
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from app.timeutil import ZEITZONE

_FELD = r"[0-9A-Za-z*?/,\-#LW]+"
_CRON = re.compile(rf"^{_FELD}(\s+{_FELD}){{4,6}}$")
_WOCHENTAGE = {"1": "sun", "2": "mon", "3": "tue", "4": "wed", "5": "thu", "6": "fri", "7": "sat"}


def ist_cron(text: str | None) -> bool:
    """True for a cron expression with 5 (Unix) to 7 (Quartz) fields."""
    return bool(text) and _CRON.match(text.strip()) is not None and any(c in text for c in "*?")


def _trigger(text: str) -> CronTrigger:
    """An APScheduler trigger for a Unix (5 fields) or Quartz (6–7 fields, `?`, weekdays 1=Sunday) cron."""
    felder = text.split()
    if len(felder) == 5:
        return CronTrigger.from_crontab(text, timezone=ZEITZONE)
    sekunde, minute, stunde, tag, monat, wochentag, *jahr = felder
    if any(sonder in text for sonder in ("L", "W", "#")):
        raise ValueError(f"„{text}“: L, W und # in Cron-Ausdrücken werden nicht unterstützt.")
    wochentag = re.sub(r"[1-7]", lambda t: _WOCHENTAGE[t.group()], wochentag)
    return CronTrigger(
        second=sekunde,
        minute=minute,
        hour=stunde,
        day="*" if tag == "?" else tag,
        month=monat,
        day_of_week="*" if wochentag == "?" else wochentag.lower(),
        year=jahr[0] if jahr else None,
        timezone=ZEITZONE,
    )


def cron_als_zyklus(text: str, jetzt: datetime) -> str:
    """The ISO 8601 repeating interval `R/<start>/<dauer>` for a cron expression from `jetzt` on (ValueError)."""
    trigger = _trigger(text.strip())
    erstes = trigger.get_next_fire_time(None, jetzt)
    if erstes is None:
        raise ValueError(f"„{text}“ feuert nie.")
    zweites = trigger.get_next_fire_time(erstes, erstes + timedelta(microseconds=1))
    abstand = int((zweites - erstes).total_seconds()) if zweites else 0
    if abstand <= 0:
        return f"R1/{erstes.isoformat()}/PT0S"
    return f"R/{erstes.isoformat()}/PT{abstand}S"
