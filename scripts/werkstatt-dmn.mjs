// Entry of the workbench's decision table editor (built by scripts/vendor-assets.mjs with esbuild into
// app/static/vendor/werkstatt/dmn.js): the dmn-js Modeler (decision requirements diagram, decision tables,
// literal expressions) with the Camunda moddle. Exposes one global, `AmtsflussDmn`, used by
// app/static/js/werkstatt-dmn.js.
import DmnModeler from 'dmn-js/lib/Modeler';

function erzeugen(container) {
  return new DmnModeler({ container });
}

window.AmtsflussDmn = { erzeugen };
