// min-dom for bpmn-js-token-simulation and dmn-js, as resolved by scripts/vendor-assets.mjs: the same module,
// except that `domify` turns style attributes into CSSOM styles. Those libraries build overlays from HTML strings
// with `style="…"` (scope colours, the bpmn.io logo), which the workbench's CSP (no inline styles) refuses;
// styles set through the CSSOM are not inline styles for the CSP, so the pages keep `style-src 'self'`.
import { domify as htmlParsen } from 'min-dom';

export * from 'min-dom';

const STIL = /\sstyle=(["'])([\s\S]*?)\1/g;
const MARKE = 'data-amtsfluss-stil';

function stilSetzen(element) {
  element.style.cssText = element.getAttribute(MARKE);
  element.removeAttribute(MARKE);
}

export function domify(html, ...rest) {
  const ohneStil = String(html).replace(STIL, (ganz, anf, stil) => ` ${MARKE}="${stil.replace(/"/g, '&quot;')}"`);
  const knoten = htmlParsen(ohneStil, ...rest);
  if (knoten.nodeType === 1 && knoten.hasAttribute(MARKE)) { stilSetzen(knoten); }
  if (knoten.querySelectorAll) { knoten.querySelectorAll(`[${MARKE}]`).forEach(stilSetzen); }
  return knoten;
}
