// Copies the bpmn-js viewer (UMD bundle, global `BpmnJS`) and its CSS from node_modules into the
// git-ignored app/static/vendor/ folder. Run by `make assets` after `npm ci`; no bundler needed.
import { cpSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ziel = join(root, 'app', 'static', 'vendor', 'bpmn-js');
const quelle = join(root, 'node_modules', 'bpmn-js', 'dist');

const dateien = [
  'bpmn-navigated-viewer.production.min.js',
  'bpmn-navigated-viewer.development.js',
  'assets/diagram-js.css',
  'assets/bpmn-js.css',
  'assets/bpmn-font/css/bpmn-embedded.css',
];

if (!existsSync(quelle)) {
  console.error('node_modules/bpmn-js fehlt – bitte zuerst `npm ci` ausführen.');
  process.exit(1);
}
for (const datei of dateien) {
  const nach = join(ziel, datei);
  mkdirSync(dirname(nach), { recursive: true });
  cpSync(join(quelle, datei), nach);
}
console.log(`bpmn-js nach ${ziel} kopiert (${dateien.length} Dateien).`);
