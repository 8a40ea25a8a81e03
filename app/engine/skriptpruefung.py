"""The check every script and expression passes, at deploy and again before each run: valid Python (JUEL is
translated first), no `${…}` in scripts, no imports, no dunder or frame attributes, no `global`."""

import ast
import re

from app.engine.juel import JuelFehler, python_ausdruck

#: Attribute names a script may not touch: they lead from any object to modules, frames and `os`.
VERBOTENE_ATTRIBUTE = re.compile(r"^(_|gi_|cr_|ag_|f_|tb_|co_|func_|im_)|^(mro|format_map)$")
HINWEIS_DOLLAR = (
    "„${…}“ ist ein Camunda/JUEL-Ausdruck; Skripte sind Python. Schreiben Sie nur den Ausdruck, "
    "z. B. statt ${genehmigt} einfach genehmigt, statt ${betrag > 1000} einfach betrag > 1000."
)


def skript_pruefen(code: str, modus: str = "exec") -> str | None:
    """Check a script or expression: valid Python, no `${`, no imports, no dunder or frame attributes.

    Returns a German error message or None. The runner applies the same check before running a script.
    """
    if code is None or not code.strip():
        return "Der Ausdruck ist leer."
    if modus == "eval":
        try:
            code = python_ausdruck(code)
        except JuelFehler as error:
            return f"JUEL-Ausdruck nicht übersetzbar: {error}"
    elif "${" in code or "#{" in code:
        return HINWEIS_DOLLAR
    try:
        baum = ast.parse(code.strip() if modus == "eval" else code, mode=modus)
    except SyntaxError as error:
        zeile = f" (Zeile {error.lineno})" if error.lineno else ""
        return f"Kein gültiger Python-Ausdruck{zeile}: {error.msg}."
    for knoten in ast.walk(baum):
        if isinstance(knoten, (ast.Import, ast.ImportFrom)):
            return "Skripte dürfen nichts importieren; nutzen Sie die Skript-API (siehe docs/bpmn.md)."
        if isinstance(knoten, ast.Attribute) and VERBOTENE_ATTRIBUTE.search(knoten.attr):
            return f"Der Zugriff auf das Attribut „{knoten.attr}“ ist in Skripten nicht erlaubt."
        if isinstance(knoten, ast.Name) and knoten.id.startswith("__"):
            return f"Der Name „{knoten.id}“ ist in Skripten nicht erlaubt."
        if isinstance(knoten, (ast.Global, ast.Nonlocal)):
            return "global/nonlocal ist in Skripten nicht erlaubt."
    return None
