/* Knowledge base on the ticket page: "Insert" records the use (KB-3) and puts the article's text or
   link into the open reply box (progress update, else resolution summary, else answer-and-close). */
(function () {
  "use strict";
  var TARGETS = ["id_progress-body", "id_resolve-summary", "id_answer_close-body"];
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function target() {
    var open = document.querySelector(".accordion-collapse.show textarea");
    if (open && TARGETS.indexOf(open.id) >= 0) return open;
    for (var i = 0; i < TARGETS.length; i++) {
      var el = document.getElementById(TARGETS[i]);
      if (el) return el;
    }
    return null;
  }
  function show(el) {
    var panel = el.closest(".accordion-collapse");
    if (panel && !panel.classList.contains("show")) {
      if (window.bootstrap && window.bootstrap.Collapse) {
        window.bootstrap.Collapse.getOrCreateInstance(panel).show();
      } else {
        panel.classList.add("show");
      }
    }
  }
  if (window.__kbInsertBound) return;
  window.__kbInsertBound = true;
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest(".kb-insert");
    if (!btn) return;
    var box = target();
    if (box) {
      show(box);
      box.value = (box.value ? box.value + "\n" : "") + btn.dataset.text;
      box.dispatchEvent(new Event("input", {bubbles: true}));
      box.focus();
    }
    fetch(btn.dataset.use, {method: "POST", headers: {"X-CSRFToken": csrf()}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var item = btn.closest(".kb-suggest-item");
        if (d && d.article && item && !item.querySelector(".kb-used")) {
          var badge = document.createElement("span");
          badge.className = "badge text-bg-light kb-used";
          badge.textContent = btn.dataset.usedLabel || "✓";
          item.firstElementChild.appendChild(badge);
        }
      })
      .catch(function () {});
  });
})();
