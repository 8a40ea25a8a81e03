"""The Organisationseinheit (OE), the unit that owns Vorgänge and whose members may see them."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Organisationseinheit(db.Model):
    """An office of a municipality, e.g. Ordnungsamt; users see only Vorgänge of their OEs."""

    __tablename__ = "organisationseinheit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kennung: Mapped[str] = mapped_column(String(40), unique=True)
    nummer_prefix: Mapped[str] = mapped_column(String(5))
    aktenzeichen_muster: Mapped[str] = mapped_column(String(100), default="{OE}-{JAHR}-{LAUFNR}")

    def __repr__(self) -> str:
        """Readable in logs and the shell."""
        return f"<OE {self.kennung} {self.name}>"
