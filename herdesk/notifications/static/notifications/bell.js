/* Herdesk staff notification bell. templates/base.html includes the bell on every staff page; this
 * script keeps its count live over /ws/notifications/ (session auth) and shows each new notification
 * as a short toast linking to its ticket. The server renders the texts in the page's language. */
(function () {
  "use strict";
  var bell = document.getElementById("hd-bell");
  if (!bell) return;
  var count = document.getElementById("hd-bell-count");
  var toasts = document.getElementById("hd-bell-toasts");
  var lang = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "zh-hans" : "en";
  function setCount(n) {
    count.textContent = n > 99 ? "99+" : String(n);
    count.classList.toggle("d-none", !n);
    bell.setAttribute("data-unread", String(n));
    document.dispatchEvent(new CustomEvent("herdesk:notifications", { detail: { unread: n } }));
  }
  function toast(n) {
    var box = document.createElement("div");
    box.className = "toast show hd-bell-item align-items-center border-0";
    box.setAttribute("role", "status");
    box.dataset.kind = n.kind;
    var body = document.createElement("div");
    body.className = "toast-body";
    var label = document.createElement("strong");
    label.textContent = n.kind_label + " ";
    body.appendChild(label);
    var link = document.createElement("a");
    link.textContent = n.text;
    link.href = "/notifications/" + encodeURIComponent(n.id) + "/open/";
    body.appendChild(link);
    box.appendChild(body);
    toasts.appendChild(box);
    while (toasts.children.length > 3) toasts.firstChild.remove();  // the newest three
    setTimeout(function () { box.remove(); }, 15000);
  }
  var backoff = 1000, ping = null;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + bell.dataset.ws + "?lang=" + lang);
    ws.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f.type === "ready") bell.setAttribute("data-live", "1");
      if (f.type === "notification") { setCount(f.unread); toast(f.notification); }
      if (f.type === "count") setCount(f.unread);
    };
    ws.onopen = function () {
      backoff = 1000;
      ping = setInterval(function () { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 25000);
    };
    ws.onclose = function (e) {
      bell.removeAttribute("data-live");
      if (ping) clearInterval(ping);
      if (e.code === 4403) return;
      setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 30000);
    };
  }
  connect();
})();
