"""The designer's workbench: procedures with versions, the BPMN modeler, drafts, checks, form preview, test runs.

Drafts and test runs never touch running Vorgänge; only deploying a draft creates a new version (docs/werkstatt.md).
"""

from flask import Flask

from app.signale import verfahren_mitgeliefert
from app.werkstatt.testfaelle import beim_start_bereitgestellt


def init_app(app: Flask) -> None:
    """Store the test-case files of shipped procedures that the start-up deploy brings in (engine's signal)."""
    verfahren_mitgeliefert.connect(beim_start_bereitgestellt)
