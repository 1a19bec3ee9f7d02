/* The language menu in the header: choosing a language submits its form (without script, the
   "Go" button inside <noscript> does). A file, not an onchange attribute: the CSP allows no inline script. */
(function () {
  "use strict";
  document.querySelectorAll("form.lang select[name=language]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
