// Shared by the workbench's editor pages (modeler, decision tables): post to the server with the page's CSRF
// token (meta csrf-token) and read the JSON answer. Exposes one global, `AmtsflussSenden`.
(function () {
  'use strict';

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function senden(url, body, typ) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': typ, 'X-CSRFToken': csrf(), Accept: 'application/json' },
      body: body
    }).then(function (antwort) {
      return antwort.json().then(function (daten) { return { ok: antwort.ok, daten: daten }; });
    });
  }

  function herunterladen(text, dateiname) {
    var link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'application/xml' }));
    link.download = dateiname;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  window.AmtsflussSenden = { senden: senden, herunterladen: herunterladen };
})();
