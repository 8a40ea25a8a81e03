"""Bekanntgabe and Rechtsbehelfsfrist of a Bescheid (see docs/bescheide.md for the legal basis and choices).

Bekanntgabe: a written or electronic administrative act counts as announced on the fourth day after it was sent
(§ 41 Abs. 2 VwVfG since 2025); falling on a Saturday, Sunday or public holiday it moves to the next working day.
Rechtsbehelfsfrist: one month from the Bekanntgabe (§ 70, § 74 VwGO); it ends on the day of the next month with the
same number (or that month's last day) and, on a weekend or holiday, at the end of the next working day
(§ 57 Abs. 2 VwGO, § 222 ZPO, §§ 187, 188 BGB).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from flask import current_app

if TYPE_CHECKING:
    import holidays


def _feiertage(jahre: range) -> holidays.HolidayBase:
    """Public holidays of the configured Land (BESCHEID_BUNDESLAND, e.g. "BY")."""
    # imported here, not at the top: `holidays` loads the calendars of every country (about 11 MB per process),
    # and only issuing a Bescheid needs them (the memory limit per worker of issue 12; docs/performance.md)
    import holidays

    return holidays.country_holidays("DE", subdiv=current_app.config.get("BESCHEID_BUNDESLAND") or None, years=jahre)


def naechster_werktag(tag: date) -> date:
    """`tag` itself, or the next day that is neither Saturday, Sunday nor a public holiday."""
    feiertage = _feiertage(range(tag.year, tag.year + 2))
    while tag.weekday() >= 5 or tag in feiertage:
        tag += timedelta(days=1)
    return tag


def bekanntgabe(versand: date) -> date:
    """The day the Bescheid counts as announced when it is sent on `versand`."""
    tage = int(current_app.config.get("BESCHEID_BEKANNTGABE_TAGE", 4))
    return naechster_werktag(versand + timedelta(days=tage))


def rechtsbehelfsfrist(bekanntgabe_am: date) -> date:
    """The last day to lodge a Widerspruch or Klage."""
    monate = int(current_app.config.get("BESCHEID_RECHTSBEHELF_MONATE", 1))
    return naechster_werktag(bekanntgabe_am + relativedelta(months=monate))
