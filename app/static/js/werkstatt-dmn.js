// The decision table editor of the designer workbench (templates/werkstatt/dmn.html). Uses the bundle's global
// `AmtsflussDmn` (dmn-js Modeler, see scripts/werkstatt-dmn.mjs). Every change is checked on the server with the
// engine's DMN loader; saving stores a draft, which the deploy button then deploys.
(function () {
  'use strict';

  var CHECK_VERZOEGERUNG_MS = 400;

  function $(id) { return document.getElementById(id); }

  function melden(text) { $('dmn-status').textContent = text; }

  function senden(url, body, typ) { return window.AmtsflussSenden.senden(url, body, typ); }

  function fehlerAnzeigen(fehler) {
    var liste = $('dmn-pruefung');
    liste.textContent = '';
    fehler.forEach(function (f) {
      var li = document.createElement('li');
      li.textContent = (f.zeile ? 'Zeile ' + f.zeile + ': ' : '') + f.meldung;
      liste.appendChild(li);
    });
    $('dmn-pruefung-stand').textContent = fehler.length
      ? fehler.length + ' Fehler – so ließe sich die Tabelle nicht bereitstellen.'
      : 'Keine Fehler: die Tabelle ließe sich bereitstellen.';
  }

  function start(wurzel) {
    var editor = window.AmtsflussDmn.erzeugen($('dmn-editor'));
    var zeitgeber = null;
    var nummer = 0;

    function aktiverBus() {
      var ansicht = editor.getActiveViewer();
      return ansicht ? ansicht.get('eventBus') : null;
    }

    function pruefen() {
      var meine = ++nummer;
      editor.saveXML({ format: false }).then(function (ergebnis) {
        return senden(wurzel.getAttribute('data-pruefen'), ergebnis.xml, 'application/xml');
      }).then(function (antwort) {
        if (meine === nummer) { fehlerAnzeigen(antwort.daten.fehler || []); }
      }).catch(function () { $('dmn-pruefung-stand').textContent = 'Die Prüfung ist gerade nicht erreichbar.'; });
    }

    function geaendert() {
      $('dmn-deployen').disabled = true;
      if (zeitgeber) { clearTimeout(zeitgeber); }
      zeitgeber = setTimeout(pruefen, CHECK_VERZOEGERUNG_MS);
    }

    function speichern() {
      melden('Entwurf wird gespeichert …');
      editor.saveXML({ format: true }).then(function (ergebnis) {
        var daten = JSON.stringify({ xml: ergebnis.xml, kommentar: $('dmn-kommentar').value });
        return senden(wurzel.getAttribute('data-speichern'), daten, 'application/json');
      }).then(function (antwort) {
        if (!antwort.ok) { melden('Nicht gespeichert: ' + antwort.daten.fehler); return; }
        var fehler = antwort.daten.pruefung || [];
        fehlerAnzeigen(fehler);
        $('dmn-deployen').disabled = fehler.length > 0;
        melden('Entwurf gespeichert (Nr. ' + antwort.daten.id + ').');
      }).catch(function () { melden('Nicht gespeichert: der Server ist nicht erreichbar.'); });
    }

    function herunterladen() {
      editor.saveXML({ format: true }).then(function (ergebnis) {
        window.AmtsflussSenden.herunterladen(ergebnis.xml, wurzel.getAttribute('data-entscheidung') + '.dmn');
      });
    }

    editor.on('views.changed', function () {
      var bus = aktiverBus();
      if (bus && !bus.amtsflussBeobachtet) {
        bus.amtsflussBeobachtet = true;
        bus.on('elements.changed', geaendert);
      }
    });
    $('dmn-speichern').addEventListener('click', speichern);
    $('dmn-herunterladen').addEventListener('click', herunterladen);
    window.amtsflussDmn = editor;  // for tests and the browser console

    fetch(wurzel.getAttribute('data-quelle'), { credentials: 'same-origin' })
      .then(function (antwort) {
        if (!antwort.ok) { throw new Error('HTTP ' + antwort.status); }
        return antwort.text();
      })
      .then(function (xml) { return editor.importXML(xml); })
      .then(function () {
        var tabelle = editor.getViews().filter(function (v) {
          return v.type === 'decisionTable' && v.element.id === wurzel.getAttribute('data-entscheidung');
        })[0];
        return tabelle ? editor.open(tabelle) : null;
      })
      .then(function () {
        wurzel.classList.add('geladen');
        melden('Tabelle geladen. Änderungen werden beim Bearbeiten geprüft.');
        pruefen();
      })
      .catch(function (fehler) { melden('Die Tabelle konnte nicht geladen werden: ' + fehler.message); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var wurzel = $('dmn');
    if (!wurzel) { return; }
    if (!window.AmtsflussDmn) { melden('Der Editor ist nicht installiert (make assets).'); return; }
    start(wurzel);
  });
})();
