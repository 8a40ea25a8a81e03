"""Benutzer with roles and OE memberships, and the failed-login log used for throttling."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.organisation.models import Organisationseinheit
from app.timeutil import utcnow

#: The roles of the product; BPMN candidate groups name these. `administration` manages the administrator's
#: own OEs, `systemadministration` the installation (all OEs, sources, routing, role mapping); see
#: docs/berechtigungen.md.
ROLLEN = ("sachbearbeitung", "leitung", "verfahrensdesign", "administration", "systemadministration")

benutzer_oe = Table(
    "benutzer_oe",
    db.metadata,
    Column("benutzer_id", ForeignKey("benutzer.id", ondelete="CASCADE"), primary_key=True),
    Column("oe_id", ForeignKey("organisationseinheit.id", ondelete="CASCADE"), primary_key=True),
)


class Benutzer(UserMixin, db.Model):
    """A person who logs in: caseworker, team lead, process designer or administrator."""

    __tablename__ = "benutzer"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kuerzel: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    aktiv: Mapped[bool] = mapped_column(default=True)
    #: Opt-in: a daily e-mail with the user's due and overdue Wiedervorlagen (app.wiedervorlagen.erinnerung).
    digest_aktiv: Mapped[bool] = mapped_column(default=False)
    rollen: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Part of the session id (`get_id`): raising it ends every session of the user (logout, new password).
    sitzung_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    erstellt_am: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    oes: Mapped[list[Organisationseinheit]] = relationship(secondary=benutzer_oe, lazy="selectin")

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses inactive users."""
        return self.aktiv

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: user id and session generation (app.auth.sitzung)."""
        return f"{self.id}:{self.sitzung_generation or 0}"

    def hat_rolle(self, *rollen: str) -> bool:
        """True if the user has at least one of the given roles."""
        return any(r in (self.rollen or []) for r in rollen)

    @property
    def oe_ids(self) -> list[int]:
        """Ids of the OEs whose Vorgänge this user may see."""
        return [oe.id for oe in self.oes]

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<Benutzer {self.login}>"


class LoginFehlversuch(db.Model):
    """One failed login, kept for the throttling window (per account and per client address)."""

    __tablename__ = "login_fehlversuch"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), index=True)
    adresse: Mapped[str] = mapped_column(String(64), index=True)
    zeitpunkt: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
