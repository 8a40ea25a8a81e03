"""The BPMN parser of Amtsfluss: SpiffWorkflow's Camunda parser plus the user-task attributes it ignores.

SpiffWorkflow 3.2 reads `camunda:formData` only when the task also has a `camunda:formKey`, and it drops
`camunda:assignee`, `camunda:candidateGroups`, `camunda:dueDate` and `camunda:followUpDate`. Our user-task parser
reads the form data regardless of the form key and puts the four attributes into the task spec's `extensions`,
which the serializer keeps.
"""

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, SendTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CamundaTaskParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser as CamundaUserTaskParser
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, Form, FormField, UserTask

from app.engine.dienstaufgabe import DIENST_ATTRIBUTE, Dienstaufgabe, dienst_name, ist_extern

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


def _mit_properties(parser_class: type) -> type:
    """A subclass of `parser_class` that also reads `camunda:properties` into the extensions.

    SpiffWorkflow's Camunda event and gateway parsers ignore them, but a `status` property on an event is how
    a procedure says „Angenommen“ or „Abgeschlossen“.
    """

    def parse_extensions(self, node=None):
        """Extensions of the base parser plus the element's own camunda:property values."""
        extensions = dict(parser_class.parse_extensions(self, node) or {})
        for prop in self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property"):
            extensions[prop.get("name")] = prop.get("value")
        return extensions

    return type(f"Amtsfluss{parser_class.__name__}", (parser_class,), {"parse_extensions": parse_extensions})


class AmtsflussParser(CamundaParser):
    """CamundaParser with our user-task parser (and properties on every element) via OVERRIDE_PARSER_CLASSES."""

    OVERRIDE_PARSER_CLASSES = {
        **{tag: (_mit_properties(p), spec) for tag, (p, spec) in CamundaParser.PARSER_CLASSES.items()},
        **{tag: (_mit_properties(p), spec) for tag, (p, spec) in CamundaParser.OVERRIDE_PARSER_CLASSES.items()},
        full_tag("userTask"): (AmtsflussUserTaskParser, UserTask),
        full_tag("serviceTask"): (DienstaufgabeParser, Dienstaufgabe),
        full_tag("sendTask"): (_mit_properties(AmtsflussSendTaskParser), SendTask),
        full_tag("receiveTask"): (_mit_properties(AmtsflussReceiveTaskParser), ReceiveTask),
    }


__all__ = ["AmtsflussParser", "AmtsflussUserTaskParser", "EnumFormField", "USERTASK_ATTRIBUTE"]
