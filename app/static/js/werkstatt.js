// The modeler page of the designer workbench (templates/werkstatt/modeler.html). Uses the bundle's global
// `AmtsflussModeler` (bpmn-js Modeler + Camunda 7 properties panel + minimap + bpmnlint, see
// scripts/werkstatt-modeler.mjs). While drawing, the XML goes to the server's check (the validator of
// `processes deploy`); the elements it names get a red outline and a "!" badge, and are listed below.
(function () {
  'use strict';

  var CHECK_VERZOEGERUNG_MS = 400;

  function $(id) { return document.getElementById(id); }

  function melden(text) { $('werkstatt-status').textContent = text; }

  function senden(url, body, typ) { return window.AmtsflussSenden.senden(url, body, typ); }

  function start(wurzel) {
    var modeler = window.AmtsflussModeler.erzeugen($('werkstatt-canvas'), $('werkstatt-panel'));
    var canvas = modeler.get('canvas');
    var overlays = modeler.get('overlays');
    var registry = modeler.get('elementRegistry');
    var markiert = [];
    var zeitgeber = null;
    var pruefNummer = 0;

    function markierungenEntfernen() {
      markiert.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, 'werkstatt-fehler'); } });
      markiert = [];
      overlays.remove({ type: 'werkstatt' });
    }

    function elementZeigen(id) {
      var element = registry.get(id);
      if (!element) { return; }
      modeler.get('selection').select(element);
      try { canvas.scrollToElement(element); } catch (e) { /* root or hidden element */ }
    }

    function fehlerAnzeigen(fehler) {
      markierungenEntfernen();
      var liste = $('werkstatt-pruefung');
      liste.textContent = '';
      fehler.forEach(function (f) {
        var li = document.createElement('li');
        var text = (f.zeile ? 'Zeile ' + f.zeile + ': ' : '') + f.meldung;
        if (f.element && registry.get(f.element)) {
          var knopf = document.createElement('button');
          knopf.type = 'button';
          knopf.className = 'link-button';
          knopf.textContent = '[' + f.element + ']';
          knopf.addEventListener('click', function () { elementZeigen(f.element); });
          li.appendChild(knopf);
          li.appendChild(document.createTextNode(' ' + text));
          if (markiert.indexOf(f.element) < 0) {
            markiert.push(f.element);
            canvas.addMarker(f.element, 'werkstatt-fehler');
            var marke = document.createElement('div');
            marke.className = 'werkstatt-marke';
            marke.textContent = '!';
            marke.title = f.meldung;
            try {
              overlays.add(f.element, 'werkstatt', { position: { top: -10, left: -10 }, html: marke });
            } catch (e) { /* a connection has no box for the badge: the outline and the list say it */ }
          }
        } else {
          li.textContent = (f.element ? '[' + f.element + '] ' : '') + text;
        }
        liste.appendChild(li);
      });
      $('werkstatt-pruefung-stand').textContent = fehler.length
        ? fehler.length + (fehler.length === 1 ? ' Fehler' : ' Fehler') + ' – so ließe sich der Entwurf nicht bereitstellen.'
        : 'Keine Fehler: der Entwurf ließe sich bereitstellen.';
    }

    function pruefen() {
      var nummer = ++pruefNummer;
      modeler.saveXML({ format: false }).then(function (ergebnis) {
        return senden(wurzel.getAttribute('data-pruefen'), ergebnis.xml, 'application/xml');
      }).then(function (antwort) {
        if (nummer === pruefNummer) { fehlerAnzeigen(antwort.daten.fehler || []); }
      }).catch(function () { $('werkstatt-pruefung-stand').textContent = 'Die Prüfung ist gerade nicht erreichbar.'; });
    }

    function spaeterPruefen() {
      if (zeitgeber) { clearTimeout(zeitgeber); }
      zeitgeber = setTimeout(pruefen, CHECK_VERZOEGERUNG_MS);
    }

    function ohneLayout(xml) {
      // bpmn-js needs diagram interchange (BPMNDiagram); a file without it gets an automatic layout
      return xml.indexOf('BPMNDiagram') < 0 && xml.indexOf('BPMNPlane') < 0;
    }

    function laden(xml) {
      var angeordnet = ohneLayout(xml);
      var vorbereitet = angeordnet ? window.AmtsflussModeler.anordnen(xml) : Promise.resolve(xml);
      return vorbereitet.then(function (fertig) { return modeler.importXML(fertig); }).then(function () {
        canvas.zoom('fit-viewport');
        melden((angeordnet ? 'Die Datei hatte kein Diagramm-Layout; es wurde automatisch angeordnet. ' : '') +
          'Diagramm geladen. Änderungen werden beim Zeichnen geprüft.');
        wurzel.classList.add('geladen');
        pruefen();
      }).catch(function (fehler) {
        melden('Das Diagramm konnte nicht geladen werden: ' + fehler.message);
      });
    }

    function speichern() {
      melden('Entwurf wird gespeichert …');
      modeler.saveXML({ format: true }).then(function (ergebnis) {
        var daten = JSON.stringify({ xml: ergebnis.xml, kommentar: $('werkstatt-kommentar').value });
        return senden(wurzel.getAttribute('data-speichern'), daten, 'application/json');
      }).then(function (antwort) {
        if (!antwort.ok) { melden('Nicht gespeichert: ' + antwort.daten.fehler); return; }
        var d = antwort.daten;
        melden('Entwurf gespeichert (Nr. ' + d.id + ').');
        $('werkstatt-entwurf').value = d.id;
        $('werkstatt-deployen').disabled = false;
        var andere = $('werkstatt-andere');
        andere.hidden = !d.andere.length;
        andere.querySelector('span').textContent = d.andere.join(', ');
        fehlerAnzeigen(d.pruefung || []);
      }).catch(function () { melden('Nicht gespeichert: der Server ist nicht erreichbar.'); });
    }

    function herunterladen() {
      modeler.saveXML({ format: true }).then(function (ergebnis) {
        window.AmtsflussSenden.herunterladen(ergebnis.xml, wurzel.getAttribute('data-key') + '.bpmn');
      });
    }

    modeler.on('commandStack.changed', function () {
      $('werkstatt-deployen').disabled = true;  // the saved draft no longer matches the diagram
      spaeterPruefen();
    });
    $('werkstatt-speichern').addEventListener('click', speichern);
    $('werkstatt-herunterladen').addEventListener('click', herunterladen);
    $('werkstatt-rueckgaengig').addEventListener('click', function () { modeler.get('commandStack').undo(); });
    $('werkstatt-wiederholen').addEventListener('click', function () { modeler.get('commandStack').redo(); });
    $('werkstatt-oeffnen').addEventListener('change', function (ereignis) {
      var datei = ereignis.target.files[0];
      if (datei) { datei.text().then(laden); }
    });
    window.amtsflussModeler = modeler;  // for tests and the browser console

    fetch(wurzel.getAttribute('data-quelle'), { credentials: 'same-origin' })
      .then(function (antwort) {
        if (!antwort.ok) { throw new Error('HTTP ' + antwort.status); }
        return antwort.text();
      })
      .then(laden)
      .catch(function (fehler) { melden('Das Diagramm konnte nicht geladen werden: ' + fehler.message); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var wurzel = $('werkstatt');
    if (!wurzel) { return; }
    if (!window.AmtsflussModeler) { melden('Der Modeler ist nicht installiert (make assets).'); return; }
    start(wurzel);
  });
})();
