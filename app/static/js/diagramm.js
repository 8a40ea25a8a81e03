// Shows the Vorgang's procedure with the bpmn-js viewer (UMD global `BpmnJS`, copied from npm by
// scripts/vendor-assets.mjs) and highlights finished and active elements. Markers are not colour only:
// finished elements get a ✓ overlay, active ones a ●, an incident a ! (WCAG 1.4.1).
(function () {
  'use strict';

  function melden(text) {
    var status = document.getElementById('diagramm-status');
    if (status) { status.textContent = text; }
  }

  function marke(overlays, id, zeichen, titel) {
    var el = document.createElement('div');
    el.className = 'diagramm-marke';
    el.textContent = zeichen;
    el.title = titel;
    try {
      overlays.add(id, { position: { top: -10, right: 10 }, html: el });
    } catch (e) { /* element without a shape (e.g. a flow): skip */ }
  }

  function anzeigen(container, daten) {
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(daten.xml).then(function () {
      var canvas = viewer.get('canvas');
      var overlays = viewer.get('overlays');
      var registry = viewer.get('elementRegistry');
      (daten.erledigt || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, 'erledigt'); marke(overlays, id, '✓', 'erledigt'); }
      });
      (daten.aktiv || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, 'aktiv'); marke(overlays, id, '●', 'aktueller Schritt'); }
      });
      var vorfall = daten.vorfall && (daten.vorfall.element_id || daten.vorfall.element);
      if (vorfall && registry.get(vorfall)) {
        canvas.addMarker(vorfall, 'vorfall');
        marke(overlays, vorfall, '!', 'Vorfall');
      }
      canvas.zoom('fit-viewport');
      // A long procedure fitted into the box becomes unreadable: zoom in on the current step instead
      // (the navigated viewer lets people pan and zoom from there).
      var erstes = (daten.aktiv || []).map(function (id) { return registry.get(id); }).filter(Boolean)[0];
      if (erstes && canvas.zoom() < 0.7) {
        canvas.zoom(0.9);
        canvas.scrollToElement(erstes, { top: 120, bottom: 120, left: 200, right: 200 });
      }
      container.classList.add('geladen');
      var aktive = (daten.aktiv || []).map(function (id) {
        var e = registry.get(id);
        return e && e.businessObject && e.businessObject.name ? e.businessObject.name : id;
      });
      // the workbench's coverage sends its own summary (covered elements and flows, percentage)
      melden(daten.hinweis || (aktive.length ? 'Aktueller Schritt: ' + aktive.join(', ') + '.' : 'Kein aktiver Schritt.'));
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var container = document.getElementById('diagramm');
    if (!container) { return; }
    if (!window.BpmnJS) { melden('Der Diagramm-Viewer ist nicht installiert (make assets).'); return; }
    fetch(container.getAttribute('data-quelle'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (antwort) {
        if (!antwort.ok) { throw new Error('HTTP ' + antwort.status); }
        return antwort.json();
      })
      .then(function (daten) { return anzeigen(container, daten); })
      .catch(function () { melden('Für diesen Vorgang ist kein Verfahrensdiagramm verfügbar.'); });
  });
}());
