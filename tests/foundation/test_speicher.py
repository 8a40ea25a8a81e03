"""Memory of a worker: libraries only a few actions need are not loaded when the app starts."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Loaded on first use: WeasyPrint (letters, Bescheide), joserfc (FIT-Connect replies), holidays (Fristen).
SPAETER = ("weasyprint", "joserfc", "holidays")


def test_starting_the_app_leaves_pdf_encryption_and_holiday_libraries_unloaded(tmp_path):
    """A fresh interpreter that loads `wsgi:app` (as a gunicorn worker does) has none of them in sys.modules."""
    skript = f"import sys, wsgi; print(' '.join(m for m in {SPAETER!r} if m in sys.modules))"
    umgebung = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "AMTSFLUSS_INSTANCE_PATH": str(tmp_path),
        "AMTSFLUSS_SCHEDULER_ENABLED": "false",
        "AMTSFLUSS_DEPLOY_PROCESSES_ON_START": "false",
    }
    lauf = subprocess.run(
        [sys.executable, "-c", skript], cwd=ROOT, env=umgebung, capture_output=True, text=True, timeout=120
    )
    assert lauf.returncode == 0, lauf.stderr[-2000:]
    assert lauf.stdout.strip() == ""
