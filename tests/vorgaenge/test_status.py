"""The status of a Vorgang changes only along the transition table, with Historie and a new version."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.demo import WEGE
from app.extensions import db
from app.vorgaenge.models import HistorieEintrag, Vorgang
from app.vorgaenge.service import status_setzen
from app.vorgaenge.status import TRANSITIONS, Status, UngueltigerStatuswechsel
from tests import factories

ERLAUBT = [(von, nach) for von, ziele in TRANSITIONS.items() for nach in sorted(ziele)]
VERBOTEN = [
    (Status.NEU, Status.BESCHIEDEN),
    (Status.NEU, Status.ABGESCHLOSSEN),
    (Status.ANGENOMMEN, Status.NEU),
    (Status.IN_BEARBEITUNG, Status.ABGESCHLOSSEN),
    (Status.BESCHIEDEN, Status.VERWORFEN),
    (Status.ABGESCHLOSSEN, Status.NEU),
    (Status.VERWORFEN, Status.ANGENOMMEN),
    (Status.WEITERGELEITET, Status.IN_BEARBEITUNG),
]


def _vorgang_in(status: Status, ordnungsamt):
    """A Vorgang brought to `status` along the allowed path."""
    vorgang = factories.vorgang(ordnungsamt)
    for schritt in WEGE[status]:
        status_setzen(vorgang, schritt)
    db.session.flush()
    return vorgang


@pytest.mark.parametrize(("von", "nach"), ERLAUBT, ids=lambda s: str(s))
def test_every_allowed_transition_changes_status_writes_historie_and_bumps_version(app, ordnungsamt, von, nach):
    """Each row of the table works and leaves a trace."""
    vorgang = _vorgang_in(von, ordnungsamt)
    version = vorgang.version
    status_setzen(vorgang, nach, notiz="Test")
    db.session.commit()
    assert vorgang.status == nach.value
    assert vorgang.version == version + 1
    letzter = db.session.scalars(
        select(HistorieEintrag).where(HistorieEintrag.vorgang_id == vorgang.id).order_by(HistorieEintrag.id.desc())
    ).first()
    assert (letzter.vorher, letzter.nachher) == ({"status": von.value}, {"status": nach.value})


@pytest.mark.parametrize(("von", "nach"), VERBOTEN, ids=lambda s: str(s))
def test_forbidden_transition_raises_clear_error_and_changes_nothing(app, ordnungsamt, von, nach):
    """A jump the table does not allow is refused with a message naming both statuses."""
    vorgang = _vorgang_in(von, ordnungsamt)
    with pytest.raises(UngueltigerStatuswechsel, match=f"von „{von}“ nach „{nach}“"):
        status_setzen(vorgang, nach)
    assert vorgang.status == von.value


def test_zu_loeschen_goes_back_only_to_the_previous_status(app, ordnungsamt):
    """Löschung abgelehnt: the Vorgang returns to where it was, nowhere else."""
    vorgang = _vorgang_in(Status.ABGESCHLOSSEN, ordnungsamt)
    status_setzen(vorgang, Status.ZU_LOESCHEN)
    with pytest.raises(UngueltigerStatuswechsel):
        status_setzen(vorgang, Status.NEU)
    status_setzen(vorgang, Status.ABGESCHLOSSEN)
    assert vorgang.status == Status.ABGESCHLOSSEN.value


def test_historie_cannot_be_updated_even_below_the_orm(app, ordnungsamt):
    """The database trigger refuses an UPDATE on the audit trail."""
    vorgang = factories.vorgang(ordnungsamt)
    db.session.commit()
    with pytest.raises(Exception, match="unveraenderlich"):
        db.session.execute(
            HistorieEintrag.__table__.update().where(HistorieEintrag.vorgang_id == vorgang.id).values(aktion="x")
        )
    db.session.rollback()


def test_a_status_change_on_a_stale_vorgang_is_refused_not_lost(app, ordnungsamt):
    """Someone else changed the Vorgang since it was read: the ORM's version check refuses the flush."""
    vorgang = factories.vorgang(ordnungsamt)
    db.session.commit()
    db.session.execute(
        update(Vorgang).where(Vorgang.id == vorgang.id).values(version=Vorgang.version + 1),
        execution_options={"synchronize_session": False},
    )
    status_setzen(vorgang, Status.ANGENOMMEN)
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()
