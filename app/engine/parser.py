"""The BPMN parser of Amtsfluss: SpiffWorkflow's Camunda parser plus the user-task attributes it ignores.

SpiffWorkflow 3.2 reads `camunda:formData` only when the task also has a `camunda:formKey`, and it drops
`camunda:assignee`, `camunda:candidateGroups`, `camunda:dueDate` and `camunda:followUpDate`. Our user-task parser
reads the form data regardless of the form key and puts the four attributes into the task spec's `extensions`,
which the serializer keeps.
"""

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
    ReceiveTaskParser,
    SendTaskParser,
)
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, SendTask, StartEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser, CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CallActivityParser, CamundaTaskParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser as CamundaUserTaskParser
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, Form, FormField, UserTask

from app.engine.aufruf import Aufrufaktivitaet, regeln_lesen
from app.engine.dienstaufgabe import DIENST_ATTRIBUTE, Dienstaufgabe, dienst_name, ist_extern
from app.engine.listener import lesen as listener_lesen

#: Camunda attributes of a user task that we keep in `task_spec.extensions` (same key names).
USERTASK_ATTRIBUTE = ("assignee", "candidateGroups", "dueDate", "followUpDate")


class AmtsflussUserTaskParser(CamundaUserTaskParser):
    """Reads form data without a form key, and the assignment and date attributes into the extensions."""

    def parse_extensions(self, node=None):
        """Camunda properties plus assignee, candidateGroups, dueDate and followUpDate."""
        extensions = super().parse_extensions(node)
        for name in USERTASK_ATTRIBUTE:
            wert = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}{name}")
            if wert is not None and wert.strip():
                extensions[name] = wert.strip()
        return extensions

    def get_form(self):
        """The form from `camunda:formData`; the form key is optional (Camunda Modeler omits it)."""
        form = Form()
        form.key = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}formKey") or self.bpmn_id
        prefix = f"{{{CAMUNDA_MODEL_NS}}}"
        for xml_field in self.xpath(".//camunda:formData/camunda:formField"):
            field = self.get_enum_field(xml_field) if xml_field.get("type") == "enum" else FormField()
            field.id = xml_field.get("id")
            field.type = xml_field.get("type")
            field.label = xml_field.get("label")
            field.default_value = xml_field.get("defaultValue")
            for child in xml_field:
                if child.tag == f"{prefix}properties":
                    for prop in child:
                        field.add_property(prop.get("id"), prop.get("value"))
                elif child.tag == f"{prefix}validation":
                    for constraint in child:
                        field.add_validation(constraint.get("name"), constraint.get("config"))
            form.add_field(field)
        return form


def _implementierung(node) -> dict:
    """The camunda implementation attributes (class, topic, …) and the BPMN `implementation` attribute of a task."""
    ext = {name: (node.get(f"{{{CAMUNDA_MODEL_NS}}}{name}") or "").strip() for name in DIENST_ATTRIBUTE}
    ext["implementation"] = (node.get("implementation") or "").strip()
    return {name: wert for name, wert in ext.items() if wert}


class DienstaufgabeParser(CamundaTaskParser):
    """A service task: Camunda properties plus its implementation attributes (class, topic, …) as extensions."""

    def parse_extensions(self, node=None):
        """Properties, the camunda implementation attributes and the BPMN `implementation` attribute."""
        return {**super().parse_extensions(node), **_implementierung(self.node)}


class AufrufParser(CallActivityParser):
    """A call activity with its `camunda:in`/`camunda:out` rules as extensions `in`/`out` (only when drawn)."""

    def parse_extensions(self, node=None):
        """Camunda properties plus the mapping rules."""
        extensions = super().parse_extensions(node)
        for richtung in ("in", "out"):
            if knoten := self.xpath(f"./bpmn:extensionElements/camunda:{richtung}"):
                extensions[richtung] = regeln_lesen(knoten)
        return extensions


class AmtsflussSendTaskParser(CamundaEventDefinitionParser, SendTaskParser):
    """Send task with Camunda's message event definition (the one our serializer configuration knows); with an
    implementation (Camunda 7: camunda:class, delegateExpression, external) it runs like a service task."""

    def create_task(self):
        """A Dienstaufgabe when the send task names an implementation, else as SendTaskParser."""
        ext = _implementierung(self.node)
        if dienst_name(ext) or ist_extern(ext):
            return Dienstaufgabe(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return SendTaskParser.create_task(self)

    def parse_extensions(self, node=None):
        """The base extensions plus the implementation attributes."""
        return {**(super().parse_extensions(node) or {}), **_implementierung(self.node)}


class AmtsflussReceiveTaskParser(CamundaEventDefinitionParser, ReceiveTaskParser):
    """Receive task with Camunda's message event definition."""

    def create_task(self):
        """As ReceiveTaskParser, with Camunda message parsing."""
        return ReceiveTaskParser.create_task(self)


def _im_ereignis_unterprozess(node) -> bool:
    """True for a start event of an event subprocess (`subProcess triggeredByEvent="true"`)."""
    eltern = node.getparent()
    return eltern is not None and eltern.get("triggeredByEvent") == "true"


class AmtsflussStartEventParser(CamundaStartEventParser):
    """Start events; in an event subprocess also error and escalation starts, and whether it interrupts.

    SpiffWorkflow 3.2 reads an error start as a none start (the event subprocess would run at once) and ignores
    `isInterrupting`; `unterbrechend` in the extensions lets `app.engine.anbindung` cancel the parent scope.
    """

    def create_task(self):
        """As Camunda's parser; error and escalation definitions only inside event subprocesses."""
        if not _im_ereignis_unterprozess(self.node):
            return super().create_task()
        pfade = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]
        task = self._create_task(self.get_event_definition([*pfade, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]))
        self.spec.start.connect(task)
        return task

    def parse_extensions(self, node=None):
        """Camunda extensions plus `unterbrechend` for an interrupting start of an event subprocess."""
        extensions = dict(super().parse_extensions(node) or {})
        if _im_ereignis_unterprozess(self.node) and self.node.get("isInterrupting", "true") != "false":
            extensions["unterbrechend"] = True
        return extensions


def _mit_properties(parser_class: type) -> type:
    """A subclass of `parser_class` that also reads `camunda:properties`, listeners and `camunda:inputOutput`
    into the extensions.

    SpiffWorkflow's Camunda event and gateway parsers ignore them, but a `status` property on an event is how
    a procedure says „Angenommen“ or „Abgeschlossen“.
    """

    def parse_extensions(self, node=None):
        """Extensions of the base parser plus the element's own camunda:property values and listeners."""
        extensions = dict(parser_class.parse_extensions(self, node) or {})
        for prop in self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property"):
            extensions[prop.get("name")] = prop.get("value")
        extensions.update(listener_lesen(self.node))
        if self.node.get("triggeredByEvent") == "true":
            extensions["ereignis_unterprozess"] = True
        return extensions

    return type(f"Amtsfluss{parser_class.__name__}", (parser_class,), {"parse_extensions": parse_extensions})


class AmtsflussParser(CamundaParser):
    """CamundaParser with our user-task parser (and properties on every element) via OVERRIDE_PARSER_CLASSES."""

    OVERRIDE_PARSER_CLASSES = {
        **{tag: (_mit_properties(p), spec) for tag, (p, spec) in CamundaParser.PARSER_CLASSES.items()},
        **{tag: (_mit_properties(p), spec) for tag, (p, spec) in CamundaParser.OVERRIDE_PARSER_CLASSES.items()},
        full_tag("userTask"): (_mit_properties(AmtsflussUserTaskParser), UserTask),
        full_tag("startEvent"): (_mit_properties(AmtsflussStartEventParser), StartEvent),
        full_tag("serviceTask"): (_mit_properties(DienstaufgabeParser), Dienstaufgabe),
        full_tag("callActivity"): (_mit_properties(AufrufParser), Aufrufaktivitaet),
        full_tag("sendTask"): (_mit_properties(AmtsflussSendTaskParser), SendTask),
        full_tag("receiveTask"): (_mit_properties(AmtsflussReceiveTaskParser), ReceiveTask),
    }


__all__ = ["AmtsflussParser", "AmtsflussUserTaskParser", "EnumFormField", "USERTASK_ATTRIBUTE"]
