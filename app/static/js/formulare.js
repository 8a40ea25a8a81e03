// After a failed submission, move focus to the error summary so screen readers announce it (WCAG 3.3.1).
// Works without this script too: the summary is at the top of the form and has role="alert".
(function () {
  'use strict';
  document.addEventListener('DOMContentLoaded', function () {
    var zusammenfassung = document.querySelector('.fehler-zusammenfassung[data-fokus]');
    if (!zusammenfassung) { return; }
    var details = zusammenfassung.closest('details');
    if (details) { details.open = true; }
    zusammenfassung.focus();
  });
}());
