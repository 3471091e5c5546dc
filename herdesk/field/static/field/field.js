/* Field service pages (FLD-2): idempotency keys, the signature pad, the offline queue of the
   engineer's phone and the schedule board's drag and drop. Served from 'self' (CSP). */
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
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

  // Offline (FLD-2): a submission made without network is kept on the phone (IndexedDB, queue.js)
  // with its idempotency key and sent when the network returns — by the service worker (sw.js,
  // which also keeps the page shell for use offline), or by this page where there is none.
  var Q = window.HerdeskFieldQueue, sw = navigator.serviceWorker;
  if (Q) {
    var showQueue = function () {
      var box = document.getElementById("fld-queue-status");
      if (!box) return;
      Q.count().then(function (n) {
        box.textContent = (box.dataset.i18nQueued || "%(n)s").replace("%(n)s", n);
        box.classList.toggle("d-none", n === 0);
      });
    };
    var pageFlush = function () {
      Q.flush().then(function (sent) { showQueue(); if (sent) location.reload(); }, function () {});
    };
    var flush = function () {
      if (!navigator.onLine) return;
      if (sw && sw.controller) {
        sw.controller.postMessage({ type: "flush" });
        // A worker that is stopped, still starting or lost the message must not leave the visit
        // queued: a moment later the page sends what is still there itself. Each item carries its
        // idempotency key, so one sent by both is applied once by the server.
        setTimeout(function () {
          Q.count().then(function (n) { if (n && navigator.onLine) pageFlush(); });
        }, 4000);
        return;
      }
      pageFlush();
    };
    document.querySelectorAll("form.fld-queued").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (navigator.onLine) return;
        ev.preventDefault();
        var body = new URLSearchParams(new FormData(form)).toString();
        Q.add({ url: form.action, body: body, type: "application/x-www-form-urlencoded", at: Date.now() })
          .then(function () {
            showQueue();
            if (sw) sw.ready.then(function (reg) { return reg.sync && reg.sync.register("herdesk-field-queue"); }).catch(function () {});
          });
      });
    });
    // The queue of an earlier version of these pages (localStorage) moves into IndexedDB.
    try {
      var old = JSON.parse(localStorage.getItem("herdesk.field.queue") || "[]");
      localStorage.removeItem("herdesk.field.queue");
      old.forEach(function (i) { Q.add({ url: i.url, body: i.body, type: "application/x-www-form-urlencoded", at: Date.now() }); });
    } catch (e) { /* nothing to move */ }
    var shell = document.getElementById("fld-sw");
    if (sw && shell) {
      sw.register(shell.dataset.sw, { scope: shell.dataset.scope }).then(function () { return sw.ready; }).then(function (reg) {
        // The static files this page uses (their hashed names), kept for the shell.
        var urls = [].map.call(document.querySelectorAll("script[src], link[rel=stylesheet]"), function (e) {
          return e.src || e.href;
        }).filter(function (u) { return u.indexOf(location.origin + "/static/") === 0; });
        if (reg.active) reg.active.postMessage({ type: "cache", urls: urls });
        document.documentElement.dataset.fieldSw = "ready";
        flush();
      }).catch(function () {});
      sw.addEventListener("message", function (ev) {
        var d = ev.data || {};
        if (d.type !== "herdesk-field-queue") return;
        showQueue();
        if (d.sent && !d.left) location.reload();
      });
    }
    window.addEventListener("online", flush);
    showQueue();
    flush();
  }

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
