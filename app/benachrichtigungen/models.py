"""Per-user choice which notifications also come by e-mail (in the app they always appear)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class BenachrichtigungEinstellung(db.Model):
    """One kind of notification a user also wants by e-mail (a row means: yes)."""

    __tablename__ = "benachrichtigung_einstellung"

    benutzer_id: Mapped[int] = mapped_column(ForeignKey("benutzer.id", ondelete="CASCADE"), primary_key=True)
    art: Mapped[str] = mapped_column(String(20), primary_key=True)
