"""Camunda 7 expressions in models: JUEL `${…}` translated to the engine's Python, and unquoted ISO 8601 literals.

Supported JUEL subset: variables, property access (`a.b`, `a['b']` → `a["b"]`), string/number literals,
`true false null`, `== != < > <= >=` and `eq ne lt gt le ge`, `&& || !` and `and or not`, `empty x`,
`+ - * / %` and `div mod`, parentheses, `execution.getVariable("x")`. A text with `${…}` inside other text
(`Hallo ${name}`) becomes a string concatenation. Anything else (method calls, `? :`, beans, `#{…}` deferred
expressions) is rejected with the expression and the reason; see docs/bpmn.md.
"""

import re
from functools import lru_cache

#: An ISO 8601 date/datetime, duration or repeating interval written without quotes (Camunda style).
ISO_LITERAL = re.compile(
    r"^(R\d*/[^\s/]+(/[^\s/]+)?"  # R3/PT10M, R/2026-01-01T10:00:00Z/P1D
    r"|P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"  # P14D, PT10M
    r"|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)$"  # 2026-12-24T10:00:00Z
)

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<zahl>\d+(?:\.\d+)?)
    | (?P<text>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%().\[\],])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_WORTE = {
    "true": "True",
    "false": "False",
    "null": "None",
    "and": "and",
    "or": "or",
    "not": "not",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_OPS = {"&&": "and", "||": "or", "!": "not"}


class JuelFehler(ValueError):
    """A JUEL expression outside the supported subset; the message names the expression and the reason."""


def ist_juel(text: str | None) -> bool:
    """True when the text contains a JUEL expression."""
    return bool(text) and ("${" in text or "#{" in text)


def ist_iso_literal(text: str | None) -> bool:
    """True for an unquoted ISO 8601 date, duration or repeating interval."""
    return bool(text) and ISO_LITERAL.match(text.strip()) is not None


def python_ausdruck(text: str | None) -> str | None:
    """The Python form of a model expression: an unquoted ISO 8601 literal becomes a string literal, a text with
    `${…}` is translated (JuelFehler if outside the subset), anything else is already Python."""
    if text is None:
        return None
    if ist_iso_literal(text):
        return repr(text.strip())
    if ist_juel(text):
        return uebersetzen(text)
    return text


@lru_cache(maxsize=1024)
def uebersetzen(text: str) -> str:
    """The Python expression for a text with `${…}` (whole text or embedded in other text); raises JuelFehler."""
    if "#{" in text:
        raise JuelFehler(f"„{text}“: verzögerte Ausdrücke #{{…}} werden nicht unterstützt; schreiben Sie ${{…}}.")
    teile, pos = [], 0
    for treffer in re.finditer(r"\$\{", text):
        if treffer.start() < pos:
            continue
        ende = _klammer_ende(text, treffer.end())
        if ende is None:
            raise JuelFehler(f"„{text}“: zu „${{“ fehlt die schließende Klammer „}}“.")
        if treffer.start() > pos:
            teile.append(repr(text[pos : treffer.start()]))
        teile.append(("ausdruck", _ausdruck(text[treffer.end() : ende], text)))
        pos = ende + 1
    if pos < len(text):
        teile.append(repr(text[pos:]))
    if len(teile) == 1 and isinstance(teile[0], tuple):
        return teile[0][1]
    return " + ".join(f"str({t[1]})" if isinstance(t, tuple) else t for t in teile)


def _klammer_ende(text: str, start: int) -> int | None:
    """Index of the `}` closing a `${` whose content starts at `start` (strings may contain braces)."""
    zitat = None
    for i in range(start, len(text)):
        zeichen = text[i]
        if zitat:
            if zeichen == zitat and text[i - 1] != "\\":
                zitat = None
        elif zeichen in "'\"":
            zitat = zeichen
        elif zeichen == "}":
            return i
    return None


def _ausdruck(juel: str, ganz: str) -> str:
    """Translate the inside of one `${…}`."""
    tokens, pos = [], 0
    juel = juel.strip()
    while pos < len(juel):
        treffer = _TOKEN.match(juel, pos)
        if treffer is None or treffer.end() == pos:
            rest = juel[pos:].strip()
            if rest.startswith("?") or rest.startswith(":"):
                raise JuelFehler(f"„{ganz}“: der Bedingungsoperator „? :“ wird nicht unterstützt.")
            raise JuelFehler(f"„{ganz}“: „{rest[:20]}“ ist im unterstützten JUEL nicht erlaubt.")
        art = treffer.lastgroup
        tokens.append((art, treffer.group(art)))
        pos = treffer.end()
    if not tokens:
        raise JuelFehler(f"„{ganz}“: der Ausdruck ist leer.")
    return " ".join(_python_tokens(tokens, ganz))


def _python_tokens(tokens: list[tuple[str, str]], ganz: str) -> list[str]:
    """Map JUEL tokens to Python tokens, rejecting method calls and unknown constructs."""
    aus: list[str] = []
    i = 0
    while i < len(tokens):
        art, wert = tokens[i]
        folgt = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if art == "name" and wert == "execution" and folgt == ".":
            i = _get_variable(tokens, i, ganz, aus)
            continue
        if art == "name" and wert == "empty":
            aus.append("_leer")  # closed below: `empty x` → `(x in (None, '', [], {}))`
        elif art == "name" and wert in _WORTE:
            aus.append(_WORTE[wert])
        elif art == "name":
            if folgt == "(":
                raise JuelFehler(f"„{ganz}“: Funktions- und Methodenaufrufe („{wert}(…)“) werden nicht unterstützt.")
            if aus and aus[-1] == ".":
                aus.pop()
                aus[-1] += f'["{wert}"]'
            else:
                aus.append(wert)
        elif art == "op":
            aus.append(_OPS.get(wert, wert))
        else:
            aus.append(wert)
        i += 1
    return _leer_aufloesen(aus, ganz)


def _get_variable(tokens, i: int, ganz: str, aus: list[str]) -> int:
    """`execution.getVariable("x")` → `x`; returns the index after it."""
    muster = [t[1] for t in tokens[i : i + 6]]
    if len(muster) == 6 and muster[2] == "getVariable" and muster[3] == "(" and muster[5] == ")":
        name = muster[4][1:-1] if tokens[i + 4][0] == "text" else ""
        if name.isidentifier():
            aus.append(name)
            return i + 6
    raise JuelFehler(f'„{ganz}“: von „execution“ wird nur execution.getVariable("name") unterstützt.')


def _leer_aufloesen(aus: list[str], ganz: str) -> list[str]:
    """Turn `_leer NAME` (from `empty NAME`) into a Python test for null or empty."""
    ergebnis: list[str] = []
    i = 0
    while i < len(aus):
        if aus[i] == "_leer":
            if i + 1 >= len(aus) or not (aus[i + 1].replace('["', "").replace('"]', "").replace("_", "a")).isalnum():
                raise JuelFehler(f"„{ganz}“: nach „empty“ muss eine Variable stehen.")
            ergebnis.append(f"({aus[i + 1]} in (None, '', [], {{}}))")
            i += 2
            continue
        ergebnis.append(aus[i])
        i += 1
    return ergebnis
