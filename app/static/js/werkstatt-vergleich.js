// The comparison page of the workbench (templates/werkstatt/vergleich.html): the newer state in the bpmn-js
// viewer, added elements green with "+", changed ones orange with "~" (not colour only, WCAG 1.4.1).
(function () {
  'use strict';

  function markieren(viewer, ids, klasse, zeichen, titel) {
    var canvas = viewer.get('canvas');
    var overlays = viewer.get('overlays');
    var registry = viewer.get('elementRegistry');
    ids.forEach(function (id) {
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, klasse);
      var marke = document.createElement('div');
      marke.className = 'diagramm-marke';
      marke.textContent = zeichen;
      marke.title = titel;
      try { overlays.add(id, { position: { top: -10, right: 10 }, html: marke }); } catch (e) { /* a flow */ }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var container = document.getElementById('vergleich-diagramm');
    var status = document.getElementById('vergleich-status');
    if (!container || !window.BpmnJS) { return; }
    fetch(container.getAttribute('data-quelle'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (antwort) {
        if (!antwort.ok) { throw new Error('HTTP ' + antwort.status); }
        return antwort.json();
      })
      .then(function (daten) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(daten.xml).then(function () {
          markieren(viewer, daten.neu, 'werkstatt-neu', '+', 'neu');
          markieren(viewer, daten.geaendert, 'werkstatt-geaendert', '~', 'geändert');
          viewer.get('canvas').zoom('fit-viewport');
          container.classList.add('geladen');
          status.textContent = daten.neu.length + ' neu, ' + daten.geaendert.length + ' geändert.';
        });
      })
      .catch(function () { status.textContent = 'Das Diagramm konnte nicht angezeigt werden.'; });
  });
}());
