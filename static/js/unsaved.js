/* Warn before leaving a page whose form has unsaved changes (the appraisal round): any edit in
   #round-form, or a page shown again after a refused save (data-unsaved), marks it; submitting the
   form (save, suggest, finalize) does not warn. */
(function () {
  "use strict";
  var form = document.getElementById("round-form");
  if (!form) return;
  var note = document.getElementById("unsaved");
  var dirty = form.dataset.unsaved === "1", submitting = false;
  function mark() {
    dirty = true;
    if (note) note.hidden = false;
  }
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("pageshow", function () { submitting = false; });
  window.addEventListener("beforeunload", function (e) {
    if (!dirty || submitting) return;
    e.preventDefault();
    e.returnValue = "";
  });
})();
