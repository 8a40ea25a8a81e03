"""Imports every model module so that SQLAlchemy and Alembic know all tables."""

from app.auth.models import Benutzer, LoginFehlversuch  # noqa: F401
from app.engine.models import ProzessAufgabe, ProzessInstanz, ProzessModellVersion  # noqa: F401
from app.intake.models import Eingang  # noqa: F401
from app.organisation.models import Organisationseinheit  # noqa: F401
from app.vorgaenge.models import Anhang, HistorieEintrag, Kommentar, Vorgang, VorgangSuchtext  # noqa: F401
from app.wiedervorlagen.models import Benachrichtigung, Mailausgang, Wiedervorlage  # noqa: F401
