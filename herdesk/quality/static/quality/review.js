// The score sheet's live total while a reviewer rates (the server recomputes it on save with the
// same rule: quality/scoring.py). A criterion of weight w rated r of m earns w·r/m; N/A leaves the
// sheet; a red line below the top fails the whole review.
(function () {
  "use strict";
  var form = document.getElementById("qa-form");
  var out = document.getElementById("qa-live");
  if (!form || !out) { return; }
  function grade(score) {
    if (score >= 90) { return out.dataset.excellent; }
    if (score >= 70) { return out.dataset.good; }
    if (score >= 60) { return out.dataset.fair; }
    return out.dataset.poor;
  }
  function update() {
    var earned = 0, applicable = 0, red = false, missing = 0;
    form.querySelectorAll(".qa-criterion[data-weight]").forEach(function (row) {
      var checked = row.querySelector("input[type=radio]:checked");
      if (!checked) { missing += 1; return; }
      if (checked.value === "na") { return; }
      var w = Number(row.dataset.weight), m = Number(row.dataset.max), r = Number(checked.value);
      if (row.dataset.red === "1" && r < m) { red = true; }
      applicable += w;
      earned += w * r / m;
    });
    if (red) { out.textContent = "0.00 · " + grade(0) + " · " + out.dataset.redline; return; }
    if (!applicable) { out.textContent = "—"; return; }
    var score = Math.round(earned * 10000 / applicable) / 100;
    out.textContent = score.toFixed(2) + " · " + grade(score) + (missing ? " · " + out.dataset.missing + " " + missing : "");
  }
  form.addEventListener("change", update);
  update();
})();
