"""Camunda 7 execution and task listeners and `camunda:inputOutput`, run on SpiffWorkflow's task-spec events.

Read at parse time into the spec's extensions (`lesen`), bound once per restored version (`anbinden`, from
`app.engine.anbindung`). When an element is reached (its spec's `update_event`, once per task): `take` listeners
of the flow the token came by, input parameters (local to the element), `start` listeners, then `create` task
listeners. When it completes (`completed_event`): `complete` task listeners, `end` listeners, output parameters
(evaluated with the local inputs), then the inputs are removed again. A listener is a Python script
(`camunda:script scriptFormat="python"`) or a registered service handler (`camunda:class`/`delegateExpression`,
as service tasks; `camunda:field`s are its parameters).
"""

from app.engine.dienstaufgabe import DienstFehler, dienst_name, handler_fuer

C = "{http://camunda.org/schema/1.0/bpmn}"
B = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
#: internal_data keys: the reached effects ran; the local input variables and what they replaced.
ERREICHT = "amtsfluss_listener"
LOKAL = "amtsfluss_lokal"


# ------------------------------------------------------------------------------------------ reading the XML


def _wert_lesen(knoten) -> dict:
    """A parameter value: text, `${…}` expression, Python script, `camunda:list` or `camunda:map`."""
    for kind in knoten:
        if kind.tag == f"{C}list":
            return {"liste": [_wert_lesen(w) for w in kind]}
        if kind.tag == f"{C}map":
            return {"map": {e.get("key"): _wert_lesen(e) for e in kind if e.tag == f"{C}entry"}}
        if kind.tag == f"{C}script":
            return {"skript": (kind.text or "").strip()}
    text = knoten.text
    if text is None or not text.strip():
        return {"text": None}
    return {"ausdruck": text.strip()} if "${" in text else {"text": text}


def _listener_lesen(knoten, art: str) -> dict:
    """One listener element as a dict: event, and its script or service name with the field values."""
    eintrag = {"art": art, "event": knoten.get("event") or "", "felder": {}}
    skript = knoten.find(f"{C}script")
    if skript is not None:
        eintrag["skript"] = skript.text or ""
    else:
        eintrag["dienst"] = dienst_name({k: knoten.get(k) for k in ("class", "delegateExpression")})
    for feld in knoten.findall(f"{C}field"):
        wert = feld.get("stringValue") or feld.findtext(f"{C}string")
        ausdruck = feld.get("expression") or feld.findtext(f"{C}expression")
        eintrag["felder"][feld.get("name")] = {"ausdruck": ausdruck} if ausdruck else {"text": wert}
    return eintrag


def lesen(node) -> dict:
    """The extensions an element's listeners and input/output mapping add (empty when it has none)."""
    ext = node.find(f"{B}extensionElements")
    listener = []
    if ext is not None:
        listener += [_listener_lesen(k, "execution") for k in ext.findall(f"{C}executionListener")]
        listener += [_listener_lesen(k, "task") for k in ext.findall(f"{C}taskListener")]
    eltern = node.getparent()
    for fluss in eltern.findall(f"{B}sequenceFlow") if eltern is not None and node.get("id") else []:
        if fluss.get("targetRef") == node.get("id"):
            for k in fluss.findall(f"{B}extensionElements/{C}executionListener"):
                listener.append({**_listener_lesen(k, "execution"), "quelle": fluss.get("sourceRef")})
    ergebnis: dict = {"listener": listener} if listener else {}
    io = ext.find(f"{C}inputOutput") if ext is not None else None
    if io is not None:
        ergebnis["io"] = {
            richtung: [[p.get("name"), _wert_lesen(p)] for p in io.findall(f"{C}{richtung}Parameter")]
            for richtung in ("input", "output")
        }
    return ergebnis


# ------------------------------------------------------------------------------------------ running


def anbinden(task_spec) -> None:
    """Connect the handlers of one task spec whose extensions have listeners or an input/output mapping."""
    ext = getattr(task_spec, "extensions", None) or {}
    if ext.get("listener") or ext.get("io"):
        task_spec.update_event.connect(_erreicht)
        task_spec.completed_event.connect(_beendet)


def wert(task, angabe: dict):
    """Evaluate a parameter value against the task data."""
    engine = task.workflow.script_engine
    if "liste" in angabe:
        return [wert(task, w) for w in angabe["liste"]]
    if "map" in angabe:
        return {k: wert(task, w) for k, w in angabe["map"].items()}
    if "skript" in angabe:
        return engine.evaluate(task, angabe["skript"])
    if "ausdruck" in angabe:
        return engine.evaluate(task, angabe["ausdruck"])
    return angabe["text"]


def _ausfuehren(task, listener: dict) -> None:
    """Run one listener on the task's data: the script, or the service handler with its fields."""
    engine = task.workflow.script_engine
    if "skript" in listener:
        engine.execute(task, listener["skript"])
        return
    handler = handler_fuer(listener.get("dienst") or "")
    if handler is None:
        fehler = DienstFehler(f"Für den Listener ist kein Dienst „{listener.get('dienst') or ''}“ registriert.")
        fehler.task = task
        raise fehler
    parameter = {name: wert(task, angabe) for name, angabe in listener["felder"].items()}
    ergebnis = handler(task, engine.environment.kontext, parameter)
    if ergebnis:
        task.set_data(**ergebnis)


def _listener(task, art: str, event: str) -> list[dict]:
    """The listeners of the task's element for one event."""
    alle = (task.task_spec.extensions or {}).get("listener") or []
    return [eintrag for eintrag in alle if eintrag["art"] == art and eintrag["event"] == event]


def _erreicht(workflow, task) -> None:
    """The element is reached (first update of its task that gets through): take, inputs, start, create."""
    if task.internal_data.get(ERREICHT):
        return
    quelle = getattr(task.parent.task_spec, "bpmn_id", None) if task.parent is not None else None
    for eintrag in _listener(task, "execution", "take"):
        if eintrag.get("quelle") == quelle:
            _ausfuehren(task, eintrag)
    lokal = {}
    for name, angabe in ((task.task_spec.extensions or {}).get("io") or {}).get("input", []):
        wert_neu = wert(task, angabe)
        lokal.setdefault(name, [name in task.data, task.data.get(name)])
        task.data[name] = wert_neu
    if lokal:
        task.internal_data[LOKAL] = lokal
    for eintrag in _listener(task, "execution", "start") + _listener(task, "task", "create"):
        _ausfuehren(task, eintrag)
    task.internal_data[ERREICHT] = True  # only after success: a retry of an incident runs them again


def _beendet(workflow, task) -> None:
    """The element completes: complete, end, outputs; the local inputs are removed (or their old value back)."""
    for eintrag in _listener(task, "task", "complete") + _listener(task, "execution", "end"):
        _ausfuehren(task, eintrag)
    ausgaben = {
        name: wert(task, angabe)
        for name, angabe in ((task.task_spec.extensions or {}).get("io") or {}).get("output", [])
    }
    for name, (hatte, vorher) in task.internal_data.pop(LOKAL, {}).items():
        if hatte:
            task.data[name] = vorher
        else:
            task.data.pop(name, None)
    task.data.update(ausgaben)
