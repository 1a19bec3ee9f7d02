/* The live excellent counter on an appraisal round: recount as grades change. The rows a filter
   hides are counted from the page's data (data-others-graded, data-others-excellent). */
(function () {
  "use strict";
  var quota = document.getElementById("quota"), form = document.getElementById("round-form");
  if (!quota || !form) return;
  function recount() {
    var graded = parseInt(quota.dataset.othersGraded, 10) || 0;
    var excellent = parseInt(quota.dataset.othersExcellent, 10) || 0;
    form.querySelectorAll("select.grade").forEach(function (s) {
      if (s.value !== "ungraded") graded++;
      if (s.value === "excellent") excellent++;
    });
    var min = parseInt(quota.dataset.min, 10) || 0, max = quota.dataset.max === "" ? null : parseInt(quota.dataset.max, 10);
    quota.querySelector(".e").textContent = excellent;
    quota.querySelector(".pct").textContent = graded ? (100 * excellent / graded).toFixed(1) : "0";
    var ok = excellent >= min && (max === null || excellent <= max);
    quota.classList.toggle("ok", ok);
    quota.classList.toggle("bad", !ok);
  }
  form.addEventListener("change", function (e) { if (e.target.matches("select.grade")) recount(); });
})();
