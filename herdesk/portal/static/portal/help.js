/* Help centre (KB-3 deflections).
   1. A suggested article read while writing a request: leaving it (closing the tab or going
      elsewhere) tells the server once — a deflection — unless the reader goes back to the request
      form ("I still need help").
   2. The request form: submitting it withdraws this session's recent deflections (the customer
      needed a ticket after all). */
(function () {
  "use strict";
  var request = document.querySelector("form[data-undeflect]");
  if (request) {
    request.addEventListener("submit", function () {
      var token = request.querySelector("input[name=csrfmiddlewaretoken]");
      var data = new FormData();
      if (token) data.append("csrfmiddlewaretoken", token.value);
      if (navigator.sendBeacon) navigator.sendBeacon(request.dataset.undeflect, data);
    });
  }
  var form = document.getElementById("help-deflect-beacon");
  if (!form) return;
  var sent = false;
  document.querySelectorAll(".kb-back-to-request, #help-answered").forEach(function (el) {
    el.addEventListener("click", function () { sent = true; });
  });
  window.addEventListener("pagehide", function () {
    if (sent || !navigator.sendBeacon) return;
    sent = true;
    navigator.sendBeacon(form.getAttribute("action"), new FormData(form));
  });
})();
