// Front-end assets into the git-ignored app/static/vendor/ folder; run by `make assets` after `npm ci`.
// 1. the bpmn-js viewer (UMD bundle, global `BpmnJS`) and its CSS, copied as they are;
// 2. the designer workbench's modeler bundle (scripts/werkstatt-modeler.mjs) built with esbuild, with the
//    bpmnlint rules compiled in (bpmnlint's own compile-config, as its bundler plugins do) and the CSS it needs;
// 3. its decision table editor (scripts/werkstatt-dmn.mjs, dmn-js) and the CSS it needs.
// bpmn-js-token-simulation and dmn-js get `min-dom` through scripts/werkstatt-min-dom.mjs (their HTML strings'
// style attributes become CSSOM styles), and CodeMirror's style-mod (in dmn-js's FEEL editor) writes its rules
// into a constructed stylesheet (adoptedStyleSheets, CSSOM) instead of a <style> element, so the pages need no
// inline styles in their CSP.
import { cpSync, mkdirSync, existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
const vendor = join(root, 'app', 'static', 'vendor');
const require = createRequire(join(root, 'package.json'));

function kopieren(quelle, ziel, dateien) {
  for (const datei of dateien) {
    const nach = join(ziel, datei.nach || datei);
    mkdirSync(dirname(nach), { recursive: true });
    cpSync(join(quelle, datei.von || datei), nach, { recursive: true });
  }
}

if (!existsSync(join(modules, 'bpmn-js', 'dist'))) {
  console.error('node_modules/bpmn-js fehlt – bitte zuerst `npm ci` ausführen.');
  process.exit(1);
}

const bpmnDist = join(modules, 'bpmn-js', 'dist');
kopieren(bpmnDist, join(vendor, 'bpmn-js'), [
  'bpmn-navigated-viewer.production.min.js',
  'bpmn-navigated-viewer.development.js',
  'assets/diagram-js.css',
  'assets/bpmn-js.css',
  'assets/bpmn-font/css/bpmn-embedded.css',
]);
console.log('bpmn-js-Viewer nach app/static/vendor/bpmn-js kopiert.');

// bpmnlint: the recommended rules, some as warnings where Amtsfluss models legitimately differ.
const compileConfig = require('bpmnlint/lib/support/compile-config');
const lintRegeln = {
  extends: 'bpmnlint:recommended',
  rules: { 'label-required': 'warn', 'no-implicit-split': 'warn', 'superfluous-gateway': 'warn' },
};
const lintDatei = join(root, 'scripts', '.bpmnlint-compiled.js');
writeFileSync(lintDatei, await compileConfig(lintRegeln));

const ziel = join(vendor, 'werkstatt');
const esbuild = require('esbuild');
const ohneInlineStile = {
  name: 'ohne-inline-stile',
  setup(build) {
    const pakete = /[\\/]node_modules[\\/](bpmn-js-token-simulation|dmn-js[^\\/]*)[\\/]/;
    build.onResolve({ filter: /^min-dom$/ }, (args) =>
      pakete.test(args.importer) ? { path: join(root, 'scripts', 'werkstatt-min-dom.mjs') } : undefined);
    build.onLoad({ filter: /[\\/]style-mod[\\/]src[\\/]style-mod\.js$/ }, (args) => {
      const quelle = readFileSync(args.path, 'utf8');
      const bedingung = '!root.head && root.adoptedStyleSheets && win.CSSStyleSheet';
      if (!quelle.includes(bedingung)) {
        throw new Error('style-mod hat sich geändert: adoptedStyleSheets-Weiche in scripts/vendor-assets.mjs anpassen');
      }
      return { contents: quelle.replace(bedingung, 'root.adoptedStyleSheets && win.CSSStyleSheet'), loader: 'js' };
    });
  },
};
const gemeinsam = {
  bundle: true,
  minify: true,
  format: 'iife',
  loader: { '.json': 'json' },
  nodePaths: [modules],
  logLevel: 'warning',
  plugins: [ohneInlineStile],
};
try {
  await esbuild.build({
    ...gemeinsam,
    entryPoints: [join(root, 'scripts', 'werkstatt-modeler.mjs')],
    outfile: join(ziel, 'modeler.js'),
  });
  await esbuild.build({
    ...gemeinsam,
    entryPoints: [join(root, 'scripts', 'werkstatt-dmn.mjs')],
    outfile: join(ziel, 'dmn.js'),
  });
} finally {
  rmSync(lintDatei, { force: true });
}
kopieren(modules, ziel, [
  { von: 'bpmn-js/dist/assets/diagram-js.css', nach: 'diagram-js.css' },
  { von: 'bpmn-js/dist/assets/bpmn-js.css', nach: 'bpmn-js.css' },
  { von: 'bpmn-js/dist/assets/bpmn-font', nach: 'bpmn-font' },
  { von: '@bpmn-io/properties-panel/dist/assets/properties-panel.css', nach: 'properties-panel.css' },
  { von: 'diagram-js-minimap/assets/diagram-js-minimap.css', nach: 'diagram-js-minimap.css' },
  { von: 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css', nach: 'bpmn-js-bpmnlint.css' },
  { von: 'bpmn-js-token-simulation/assets/css/bpmn-js-token-simulation.css', nach: 'bpmn-js-token-simulation.css' },
  { von: 'dmn-js/dist/assets', nach: 'dmn' },
]);
console.log('Modeler der Verfahrenswerkstatt nach app/static/vendor/werkstatt gebaut.');
