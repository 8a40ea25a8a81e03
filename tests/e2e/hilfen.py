"""Steps the workbench's browser tests share: log in through the form, check a page with axe-core."""

import re

from axe_playwright_python.sync_playwright import Axe

from tests import factories


def anmelden(page, server, login: str) -> None:
    """Log in through the login form and wait for the start page."""
    page.goto(server.url + "/anmelden")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(factories.PASSWORT)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$|.*/\?.*"))


def axe_pruefen(page, name: str, ohne: list | None = None) -> None:
    """Fail on serious or critical accessibility violations (optionally excluding selectors, e.g. a canvas)."""
    kontext = {"exclude": [[s] for s in ohne]} if ohne else None
    ergebnis = Axe().run(page, context=kontext)
    schwer = [v for v in ergebnis.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert schwer == [], f"{name}: " + "; ".join(f"{v['id']}: {v['help']}" for v in schwer)
