/* Herdesk hotline screen pop. Any staff page may include it:
 *   <script src="/static/phone/screenpop.js" defer></script>
 * It listens on /ws/phone/ (session auth) and shows the caller's profile when the CTI says the
 * signed-in agent's extension rings, with recent tickets and a "link this call to ticket" form.
 * Texts come with the page language: data-i18n-* attributes on the script tag may override them.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var zh = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0;
  var T = {
    ringing: zh ? "来电" : "Incoming call", answered: zh ? "通话中" : "In call", ended: zh ? "通话结束" : "Call ended",
    unknown: zh ? "未知来电（新客户）" : "Unknown caller (new customer)", open: zh ? "未结工单" : "open tickets",
    link: zh ? "关联工单" : "Link to ticket", close: zh ? "关闭" : "Close", linked: zh ? "已关联" : "Linked",
    intake: zh ? "新建受理" : "New intake", dialing: zh ? "正在外呼" : "Calling", profile: zh ? "客户档案" : "Customer page",
    dialHint: zh ? "您的话机先响铃，接起后接通客户。" : "Your phone rings first, then the customer's."
  };
  Object.keys(T).forEach(function (k) { if (script && script.dataset["i18n" + k[0].toUpperCase() + k.slice(1)]) T[k] = script.dataset["i18n" + k[0].toUpperCase() + k.slice(1)]; });
  var box = document.createElement("div");
  box.setAttribute("role", "alert");
  box.id = "screenpop";
  box.style.cssText = "position:fixed;right:16px;top:16px;z-index:2000;width:340px;display:none;background:#fff;border:1px solid #198754;border-radius:10px;box-shadow:0 4px 18px rgba(0,0,0,.2);padding:12px;font-size:14px";
  document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(box); });
  function el(tag, text, css) { var e = document.createElement(tag); if (text) e.textContent = text; if (css) e.style.cssText = css; return e; }
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ""; }
  function show(p) {
    box.textContent = "";
    box.appendChild(el("div", T[p.event] || p.event, "font-weight:600;color:#198754"));
    box.appendChild(el("div", p.caller, "font-size:18px;margin:4px 0"));
    if (p.customer) {
      box.appendChild(el("div", p.customer.name + (p.customer.organisation ? " · " + p.customer.organisation : "") + " · " + (p.customer.tier_label || p.customer.tier)));
      if (p.customer.account_manager) box.appendChild(el("div", p.customer.account_manager, "color:#666"));
      box.appendChild(el("div", p.open_tickets + " " + T.open, "margin-top:4px"));
      var ul = el("ul", null, "padding-left:18px;margin:4px 0");
      p.tickets.forEach(function (t) {
        var li = el("li"), a = el("a", t.number);
        a.href = "/tickets/" + encodeURIComponent(t.number) + "/";
        li.appendChild(a); li.appendChild(document.createTextNode(" " + t.subject + " (" + (t.status_label || t.status) + ")"));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    } else box.appendChild(el("div", T.unknown));
    var intake = el("a", T.intake, "display:inline-block;margin:6px 12px 6px 0");
    intake.href = "/intake/?call=" + encodeURIComponent(p.call_id);
    intake.id = "screenpop-intake";
    box.appendChild(intake);
    if (p.customer) {
      var profile = el("a", T.profile, "display:inline-block;margin:6px 0");
      profile.href = "/customers/" + encodeURIComponent(p.customer.id) + "/";
      box.appendChild(profile);
    }
    var form = el("form", null, "display:flex;gap:4px;margin-top:6px");
    var input = el("input"); input.placeholder = "FW-…"; input.value = p.ticket || ""; input.style.flex = "1";
    var btn = el("button", T.link); btn.type = "submit";
    form.appendChild(input); form.appendChild(btn);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = new URLSearchParams({ ticket: input.value });
      fetch("/phone/calls/" + encodeURIComponent(p.call_id) + "/link", { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
        .then(function (r) { return r.json(); })
        .then(function (j) { btn.textContent = j.ticket ? T.linked + " " + j.ticket : (j.message || "!"); });
    });
    box.appendChild(form);
    var close = el("button", T.close, "margin-top:6px"); close.type = "button";
    close.addEventListener("click", function () { box.style.display = "none"; });
    box.appendChild(close);
    box.style.display = "block";
  }
  function dialing(f) {  // click-to-call: the number stays masked, the CTI has the real one
    box.textContent = "";
    box.appendChild(el("div", T.dialing, "font-weight:600;color:#198754"));
    box.appendChild(el("div", f.number + (f.customer ? " · " + f.customer : ""), "font-size:16px;margin:4px 0"));
    box.appendChild(el("div", T.dialHint, "color:#666"));
    var close = el("button", T.close, "margin-top:6px"); close.type = "button";
    close.addEventListener("click", function () { box.style.display = "none"; });
    box.appendChild(close);
    box.style.display = "block";
  }
  var backoff = 1000;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/phone/");
    ws.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (f.type === "pop") show(f);
      else if (f.type === "dialing") dialing(f);
    };
    ws.onopen = function () { backoff = 1000; };
    ws.onclose = function (e) { if (e.code === 4403) return; setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 30000); };
  }
  connect();
})();
