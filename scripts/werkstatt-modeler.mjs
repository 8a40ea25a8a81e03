// Entry of the designer workbench's bundle (built by scripts/vendor-assets.mjs with esbuild into
// app/static/vendor/werkstatt/modeler.js): bpmn-js Modeler, Camunda 7 properties panel and behaviours,
// minimap, bpmnlint, token simulation and bpmn-auto-layout. Exposes one global, `AmtsflussModeler`, used by app/static/js/werkstatt.js.
import Modeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaBehaviors from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json';
import MinimapModule from 'diagram-js-minimap';
import TokenSimulationModule from 'bpmn-js-token-simulation';
import LintModule from 'bpmn-js-bpmnlint';
import lintConfig from './.bpmnlint-compiled.js';
import { layoutProcess } from 'bpmn-auto-layout';
import modellierungDe from 'bpmn-js-i18n/translations/de';
import panelDe from './werkstatt-panel-de.json';

// German labels: bpmn-js palette and context pad from bpmn-js-i18n, the properties panel's common
// Camunda 7 labels from our own list; what is missing stays English.
const DEUTSCH = { ...modellierungDe, ...panelDe };

function uebersetzen(vorlage, ersetzungen) {
  const text = DEUTSCH[vorlage] || vorlage;
  return text.replace(/{([^}]+)}/g, (ganz, schluessel) => (ersetzungen && schluessel in ersetzungen ? ersetzungen[schluessel] : ganz));
}

function erzeugen(container, panel) {
  return new Modeler({
    container,
    propertiesPanel: { parent: panel },
    linting: { bpmnlint: lintConfig, active: true },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviors,
      MinimapModule,
      LintModule,
      TokenSimulationModule,
      { translate: ['value', uebersetzen] },
    ],
    moddleExtensions: { camunda },
  });
}

// A file without diagram layout (written by hand or by a tool) is laid out before the modeler opens it.
window.AmtsflussModeler = { erzeugen, anordnen: layoutProcess };
