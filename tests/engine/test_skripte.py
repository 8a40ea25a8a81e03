"""The script environment: restricted builtins, the documented API, no way to `os`, storable values only."""

import pytest
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from app.engine.skripte import AmtsflussUmgebung, Kontext, SkriptFehler, frist_berechnen, iso, tage
from app.extensions import db
from tests.factories import vorgang


@pytest.fixture
def umgebung(app, amt):
    """An environment bound to a fresh Vorgang."""
    v = vorgang(amt, formulardaten=[{"name": "angaben", "kinder": [{"name": "baumart", "wert": "Eiche"}]}])
    db.session.flush()
    return AmtsflussUmgebung(Kontext(v, None)), v


@pytest.mark.parametrize(
    "code",
    [
        "import os",
        "x = __import__('os')",
        "x = open('/etc/passwd').read()",
        "x = eval('1')",
        "x = getattr(1, 'real')",
        "x = ().__class__.__base__.__subclasses__()",
        "x = [y for y in ()].__class__",
        "x = (i for i in []).gi_frame.f_globals",
        "x = heute.__globals__['os']",
        "x = compile('1', 's', 'eval')",
        "x = globals()",
        "x = type(1)",
    ],
)
def test_skripte_erreichen_weder_import_noch_os(umgebung, code):
    """Every path to `os` we know of fails — by the AST check or by missing builtins."""
    env, _ = umgebung
    daten: dict = {}
    with pytest.raises((SkriptFehler, NameError)):
        env.execute(code, daten)
    assert "x" not in daten


def test_ohne_eigene_umgebung_waere_os_erreichbar():
    """Why we re-attach the engine after every load: SpiffWorkflow's default environment imports freely."""
    daten: dict = {}
    TaskDataEnvironment().execute("import os\nx = os.sep", daten)
    assert daten["x"] == "/"


def test_skript_api_liest_formulardaten_setzt_status_und_aktenzeichen(umgebung):
    """formularwert, status_setzen, aktenzeichen_setzen, historie_notiz work on the bound Vorgang."""
    env, v = umgebung
    daten: dict = {}
    env.execute(
        "art = formularwert('angaben.baumart')\nalle = formulardaten()\nstatus_setzen('Angenommen')\n"
        "aktenzeichen_setzen('BF-1')\nhistorie_notiz('geprüft')\nn = len(sorted([3, 1]))\nfrist = heute() + tage(3)",
        daten,
    )
    assert daten["art"] == "Eiche" and daten["alle"] == {"angaben.baumart": "Eiche"} and daten["n"] == 2
    assert v.status == "Angenommen" and v.aktenzeichen == "BF-1"
    assert "status_setzen" not in daten  # API functions never end up in task data


def test_nicht_speicherbare_werte_scheitern_am_skript(umgebung):
    """A set (or any object) left in task data fails at the script with a clear message."""
    env, _ = umgebung
    with pytest.raises(SkriptFehler, match="„menge“ \\(set\\) kann nicht gespeichert werden"):
        env.execute("menge = {1, 2}", {})


def test_unbekannter_status_aus_skript(umgebung):
    """status_setzen with an unknown value is a script error."""
    env, _ = umgebung
    with pytest.raises(SkriptFehler, match="Unbekannter Status"):
        env.execute("status_setzen('Fertig')", {})


def test_fristen_aus_datum_text_und_dauer():
    """Deadlines from ISO text, durations and date objects."""
    from datetime import UTC, date, datetime

    ab = datetime(2026, 1, 1, tzinfo=UTC)
    assert frist_berechnen("P14D", ab) == datetime(2026, 1, 15, tzinfo=UTC)
    assert frist_berechnen(tage(2), ab) == datetime(2026, 1, 3, tzinfo=UTC)
    assert frist_berechnen("2026-02-01T10:00:00+00:00") == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert frist_berechnen(date(2026, 3, 1)).date() == date(2026, 3, 1)
    assert iso(tage(3)) == "P3DT0S"
