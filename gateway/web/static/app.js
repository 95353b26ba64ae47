// Conveniences only: every page works without this script.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button.copy");
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      var old = b.textContent;
      b.textContent = "Kopiert";
      setTimeout(function () { b.textContent = old; }, 2000);
    });
  });
  // Move focus to the error summary so that screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var s = document.getElementById("feiloppsummering");
    if (s) s.focus();
  });
})();
