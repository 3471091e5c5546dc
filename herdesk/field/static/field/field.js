/* Field service pages (FLD-2): idempotency keys, the signature pad, the offline queue of the
   engineer's phone and the schedule board's drag and drop. Served from 'self' (CSP). */
(function () {
  "use strict";
  var QUEUE = "herdesk.field.queue";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(QUEUE, JSON.stringify(q)); }
  function showQueue() {
    var box = document.getElementById("fld-queue-status");
    if (!box) return;
    var n = load().length;
    box.textContent = (box.dataset.i18nQueued || "%(n)s").replace("%(n)s", n);
    box.classList.toggle("d-none", n === 0);
  }

  // One key per form as rendered: a resend of this submission (queue, double tap, back + submit)
  // carries the same key and the server applies it once.
  document.querySelectorAll("form.fld-queued input[name=idempotency_key]").forEach(function (i) {
    i.value = uuid();
  });

  // The signature pad: pointer strokes on a canvas, sent as a PNG data URL.
  var pad = document.getElementById("signature-pad");
  if (pad) {
    var ctx = pad.getContext("2d"), drawing = false, drawn = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    var pos = function (ev) {
      var r = pad.getBoundingClientRect();
      return [(ev.clientX - r.left) * pad.width / r.width, (ev.clientY - r.top) * pad.height / r.height];
    };
    pad.addEventListener("pointerdown", function (ev) {
      drawing = true; var p = pos(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]); pad.setPointerCapture(ev.pointerId);
    });
    pad.addEventListener("pointermove", function (ev) {
      if (!drawing) return; var p = pos(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      pad.addEventListener(t, function () { drawing = false; });
    });
    var clear = document.getElementById("signature-clear");
    if (clear) clear.addEventListener("click", function () { ctx.clearRect(0, 0, pad.width, pad.height); drawn = false; });
    var form = document.getElementById("complete-form");
    form.addEventListener("submit", function () {
      form.querySelector("input[name='d-signature']").value = drawn ? pad.toDataURL("image/png") : "";
    }, true);
  }

  // Offline: keep the submission on the phone and send it when the network returns.
  document.querySelectorAll("form.fld-queued").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (navigator.onLine) return;
      ev.preventDefault();
      var q = load();
      q.push({ url: form.action, body: new URLSearchParams(new FormData(form)).toString() });
      save(q); showQueue();
    });
  });
  function flush() {
    var q = load();
    if (!q.length || !navigator.onLine) return;
    var item = q[0];
    fetch(item.url, {
      method: "POST", body: item.body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (resp) {
      // Sent (or refused for good, 4xx): off the queue. A server error stays for the next try.
      if (resp.status < 500) { save(load().slice(1)); showQueue(); if (load().length) flush(); else location.reload(); }
    }).catch(function () { /* still offline */ });
  }
  window.addEventListener("online", flush);
  showQueue();
  flush();

  // The schedule board: drop an order on an engineer × day cell to book it there.
  var board = document.getElementById("board");
  if (board) {
    var dragged = null;
    document.querySelectorAll(".fld-chip[draggable=true]").forEach(function (chip) {
      chip.addEventListener("dragstart", function (ev) { dragged = chip; ev.dataTransfer.setData("text/plain", chip.dataset.number); });
    });
    board.querySelectorAll(".fld-cell").forEach(function (cell) {
      cell.addEventListener("dragover", function (ev) { ev.preventDefault(); cell.classList.add("fld-over"); });
      cell.addEventListener("dragleave", function () { cell.classList.remove("fld-over"); });
      cell.addEventListener("drop", function (ev) {
        ev.preventDefault();
        if (!dragged) return;
        var f = document.createElement("form");
        f.method = "post"; f.action = "/field/orders/" + encodeURIComponent(dragged.dataset.number) + "/schedule/";
        var fields = {
          csrfmiddlewaretoken: board.dataset.csrf, "s-engineers": cell.dataset.engineer,
          "s-start": cell.dataset.day + "T" + (dragged.dataset.time || "09:00"), "s-hours": dragged.dataset.hours || "2",
          next: board.dataset.next
        };
        Object.keys(fields).forEach(function (k) {
          var i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = fields[k]; f.appendChild(i);
        });
        document.body.appendChild(f); f.submit();
      });
    });
  }
})();
