/* Herdesk live chat widget. Embed with one tag:
 *   <script src="https://service.example.cn/static/chat/widget.js" data-herdesk-chat
 *           data-lang="zh-hans" data-position="right" data-color="#198754" defer></script>
 * No dependencies, no build step; the UI lives in a shadow root so the host page's CSS cannot break
 * it. Every text comes from the server (gettext), in the language of data-lang.
 *
 * Delivery: each message gets a random client id and is kept in localStorage until the server
 * acknowledges it (the server acknowledges only after the message is stored). After a reconnect the
 * widget asks for everything after the last sequence number it saw and resends what is still
 * unacknowledged; the server drops duplicates by client id. The conversation token (signed by the
 * server) is the only key to the conversation: it is never put in a URL.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-herdesk-chat]");
  if (!script || window.__herdeskChat) return;
  window.__herdeskChat = true;
  var base = new URL(script.src, location.href);
  var wsURL = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws/chat/";
  var lang = script.dataset.lang || document.documentElement.lang || "zh-hans";
  var color = script.dataset.color || "#198754";
  var side = script.dataset.position === "left" ? "left" : "right";
  var KEY = "herdesk-chat:" + base.host;

  var state = load();
  var S = {};          // strings from the server
  var ws = null, backoff = 1000, opened = false, wantOpen = false, deadlineTimer = null;
  var msgs = {};       // seq -> message
  var status = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || { pending: [] }; } catch (e) { return { pending: [] }; }
  }
  function save() { try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode */ } }
  function cid() {
    var a = new Uint8Array(16);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function t(key, params) {
    var s = S[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.replace("%(" + k + ")s", params[k]); });
    return s;
  }

  // --- UI (shadow DOM) ---------------------------------------------------------------------------
  var host = document.createElement("div");
  host.setAttribute("data-herdesk-chat-root", "");
  document.body.appendChild(host);
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  shadow.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif}" +
    ".launch{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;color:#fff;background:" + color + ";font-size:15px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;bottom:80px;" + side + ":20px;z-index:2147483000;width:340px;max-width:calc(100vw - 24px);height:480px;max-height:calc(100vh - 100px);background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden}" +
    ".panel.open{display:flex}.head{background:" + color + ";color:#fff;padding:10px 12px;display:flex;justify-content:space-between;align-items:center}" +
    ".head button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:6px;font-size:12px;padding:2px 8px;cursor:pointer}" +
    ".note{font-size:13px;padding:6px 12px;background:#fff8e1;color:#5d4200;display:none}.note.on{display:block}" +
    ".list{flex:1;overflow-y:auto;padding:8px 12px;background:#f6f7f9;margin:0;list-style:none}" +
    ".m{max-width:82%;margin:6px 0;padding:6px 9px;border-radius:10px;background:#fff;border:1px solid #e3e5e8;white-space:pre-wrap;word-break:break-word;font-size:14px}" +
    ".m.customer{margin-left:auto;background:#e8f5ee;border-color:#b7e0c8}.m.pending{opacity:.55}.meta{display:block;font-size:11px;color:#888}" +
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #eee;margin:0}textarea,input{flex:1;font-size:14px;padding:6px;border:1px solid #ccc;border-radius:6px}" +
    "textarea{resize:none;height:40px}.send{background:" + color + ";color:#fff;border:0;border-radius:6px;padding:0 12px;cursor:pointer}" +
    ".start{display:flex;flex-direction:column;gap:8px;padding:16px}.start input{flex:none}.err{color:#b00020;font-size:12px;min-height:1em}" +
    ".verify{display:none;flex-wrap:wrap;gap:6px;align-items:center;padding:6px 12px;border-top:0;border-bottom:1px solid #eee;font-size:12px;color:#444}.verify.on{display:flex}" +
    ".rate{display:none;gap:6px;align-items:center;flex-wrap:wrap;padding:8px 12px;border-bottom:1px solid #eee;font-size:13px;color:#333}.rate.on{display:flex}" +
    ".rate .rtext{flex-basis:100%}.rate button{width:36px;height:32px;border:1px solid #ccc;border-radius:6px;background:#fff;cursor:pointer;font-size:14px}.rate button:hover{background:" + color + ";color:#fff}" +
    ".verify .vtext{flex-basis:100%}.verify input{flex:1;min-width:0;font-size:13px;padding:4px}.verify .send{height:28px;font-size:12px}" +
    "</style>" +
    "<button class='launch' type='button'></button>" +
    "<div class='panel' role='dialog'>" +
    "<div class='head'><strong class='title'></strong><span><button type='button' class='new'></button> <button type='button' class='end'></button></span></div>" +
    "<div class='note' role='status'></div>" +
    "<div class='rate' role='group'><span class='rtext'></span>" +
    "<button type='button' data-score='1'>1</button><button type='button' data-score='2'>2</button><button type='button' data-score='3'>3</button>" +
    "<button type='button' data-score='4'>4</button><button type='button' data-score='5'>5</button></div>" +
    "<form class='verify' novalidate><span class='vtext'></span><input class='vcode' inputmode='numeric' autocomplete='one-time-code' maxlength='6'>" +
    "<button class='send vask' type='button'></button><button class='send vok' type='submit'></button></form>" +
    "<form class='start' novalidate><div class='who'></div><input class='name' autocomplete='name' maxlength='120'>" +
    "<input class='phone' type='tel' autocomplete='tel' maxlength='20'><div class='err'></div><button class='send' type='submit' style='height:36px'></button></form>" +
    "<ol class='list' aria-live='polite'></ol>" +
    "<form class='compose'><textarea maxlength='2000'></textarea><button class='send' type='submit'></button></form>" +
    "</div>";
  function q(sel) { return shadow.querySelector(sel); }
  var panel = q(".panel"), list = q(".list"), note = q(".note"), start = q(".start"), compose = q(".compose");
  var verify = q(".verify");
  q(".launch").textContent = script.dataset.label || "在线客服";

  function applyStrings() {
    q(".launch").textContent = script.dataset.label || S.open_button;
    q(".title").textContent = script.dataset.title || S.title;
    q(".name").placeholder = S.name; q(".phone").placeholder = S.phone;
    start.querySelector(".send").textContent = S.start;
    compose.querySelector(".send").textContent = S.send;
    compose.querySelector("textarea").placeholder = S.placeholder;
    q(".end").textContent = S.end; q(".new").textContent = S.new_chat;
    q(".vtext").textContent = S.verify_hint || ""; q(".vcode").placeholder = S.verify_code || "";
    q(".vask").textContent = S.verify_ask || ""; q(".vok").textContent = S.verify_ok || "";
  }
  // Phone verification (issue #14): offered until the visitor has entered the SMS code.
  function renderVerify() {
    var on = state.token && state.verified === false && status !== "closed";
    verify.classList.toggle("on", !!on);
    q(".vcode").style.display = q(".vok").style.display = state.verifySent ? "" : "none";
  }
  function show(which) {  // "start" | "chat"
    start.style.display = which === "start" ? "flex" : "none";
    list.style.display = compose.style.display = which === "chat" ? "" : "none";
    q(".end").style.display = which === "chat" && status !== "closed" ? "" : "none";
    q(".new").style.display = status === "closed" ? "" : "none";
  }
  // QA-2: a 1–5 rating offered once the agent has ended the chat; thanks once it is given.
  var rate = q(".rate");
  function renderRate(f) {
    var offered = !!(f && f.rating_offered), rated = !!(f && f.rating);
    rate.classList.toggle("on", offered || rated);
    q(".rtext").textContent = rated ? (S.rate_thanks || "") : (S.rate_ask || "");
    Array.prototype.forEach.call(rate.querySelectorAll("button"), function (b) { b.style.display = offered ? "" : "none"; });
  }
  rate.addEventListener("click", function (e) {
    var score = e.target && e.target.getAttribute && e.target.getAttribute("data-score");
    if (score) send({ type: "rate", score: Number(score) });
  });
  function setNote(text) { note.textContent = text || ""; note.classList.toggle("on", !!text); }

  function render() {
    list.textContent = "";
    Object.keys(msgs).map(Number).sort(function (a, b) { return a - b; }).forEach(function (s) { list.appendChild(bubble(msgs[s], false)); });
    state.pending.forEach(function (p) { list.appendChild(bubble({ sender: "customer", body: p.body }, true)); });
    list.scrollTop = list.scrollHeight;
  }
  function bubble(m, pending) {
    var li = document.createElement("li");
    li.className = "m " + m.sender + (pending ? " pending" : "");
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = pending ? S.pending : (m.sender === "agent" ? m.author : "") + " " +
      new Date(m.at).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, hour: "2-digit", minute: "2-digit" });
    li.appendChild(meta);
    li.appendChild(document.createTextNode(m.body));
    return li;
  }
  function onStatus(f) {
    status = f.status;
    if (f.ticket) state.ticket = f.ticket;
    save();
    var text = "";
    if (status === "waiting") {
      text = S.waiting;
      clearTimeout(deadlineTimer);
      if (f.accept_deadline) {
        var ms = new Date(f.accept_deadline).getTime() - Date.now() + 1000;
        deadlineTimer = setTimeout(function () { send({ type: "check" }); }, Math.max(ms, 1000));
      }
    } else if (status === "active") text = t("active", { agent: f.agent });
    else if (status === "offline") text = f.offline_reason === "closed_hours" ? t("offline_closed_hours", { when: nextOpening() }) : S.offline_no_agent;
    else if (status === "closed") text = S.closed;
    if (state.ticket) text += " " + t("ticket", { number: state.ticket });
    setNote(text);
    compose.querySelector("textarea").disabled = status === "closed";
    renderRate(status === "closed" ? f : null);
    show("chat");
    renderVerify();
  }
  function nextOpening() {
    if (!state.nextOpening) return "";
    return new Date(state.nextOpening).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  // --- socket ----------------------------------------------------------------------------------
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function flush() { state.pending.forEach(function (p) { send({ type: "message", client_id: p.client_id, body: p.body }); }); }
  function connect() {
    if (ws && ws.readyState <= 1) return;
    ws = new WebSocket(wsURL);
    ws.onopen = function () {
      backoff = 1000;
      // A fresh page shows the whole conversation; a reconnect only asks for what it missed.
      var after = Object.keys(msgs).length ? (state.lastSeq || 0) : 0;
      send({ type: "hello", token: state.token || null, after_seq: after, lang: lang });
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      switch (f.type) {
        case "welcome":
          S = f.strings; applyStrings();
          state.nextOpening = f.next_opening;
          q(".who").textContent = f.portal_customer ? t("signed_in_as", { name: f.portal_customer }) : "";
          q(".name").style.display = q(".phone").style.display = f.portal_customer ? "none" : "";
          show("start");
          if (!f.service_open) setNote(t("offline_closed_hours", { when: nextOpening() }));
          break;
        case "joined":
          S = f.strings || S; applyStrings();
          state.token = f.token; state.verified = f.verified; save();
          onStatus(f); flush(); render(); renderVerify();
          break;
        case "verify_sent":
          state.verifySent = true; save(); renderVerify(); setNote(S.verify_sent);
          q(".vcode").focus();
          break;
        case "verified":
          state.verified = true; state.verifySent = false; save(); renderVerify(); setNote(S.verified);
          break;
        case "history":
          f.messages.forEach(onMessage); render();
          break;
        case "message":
          // A gap in the sequence means an event was missed: fetch what lies between.
          if (f.seq > (state.lastSeq || 0) + 1) send({ type: "resume", after_seq: state.lastSeq || 0 });
          onMessage(f); render();
          break;
        case "pong":
          if (f.last_seq && f.last_seq > (state.lastSeq || 0)) send({ type: "resume", after_seq: state.lastSeq || 0 });
          break;
        case "ack":
          state.pending = state.pending.filter(function (p) { return p.client_id !== f.client_id; });
          if (f.seq > (state.lastSeq || 0) + 1) send({ type: "resume", after_seq: state.lastSeq || 0 });
          save(); render();
          break;
        case "status":
          onStatus(f); render();
          break;
        case "error":
          if (f.code === "bad_token") { reset(); break; }
          if (f.code === "validation_error" && !state.token) {
            q(".err").textContent = f.errors.map(function (x) { return x.message; }).join(" ");
          } else if (f.code === "rate_limited" || f.code === "try_again") {
            setTimeout(flush, 3000);  // still pending: sent again in a moment
          } else if (f.client_id) {
            // Refused for good (too long, closed conversation): do not resend it forever.
            state.pending = state.pending.filter(function (p) { return p.client_id !== f.client_id; });
            save(); render(); setNote(f.message);
          } else setNote(f.message);
          break;
      }
    };
    ws.onclose = function () {
      if (!wantOpen) return;
      setNote(S.reconnecting || "…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }
  function onMessage(m) {
    msgs[m.seq] = m;
    if (m.seq > (state.lastSeq || 0)) state.lastSeq = m.seq;
    state.pending = state.pending.filter(function (p) { return !(m.sender === "customer" && p.client_id === m.client_id); });
    save();
  }
  function reset() {
    state = { pending: [] }; msgs = {}; status = null; save(); render(); renderRate(null);
    send({ type: "hello", lang: lang });
  }

  q(".launch").addEventListener("click", function () {
    opened = !opened;
    panel.classList.toggle("open", opened);
    if (opened) { wantOpen = true; connect(); }
  });
  start.addEventListener("submit", function (e) {
    e.preventDefault();
    q(".err").textContent = "";
    send({ type: "open", name: q(".name").value, phone: q(".phone").value, page: location.href.slice(0, 500) });
  });
  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var ta = compose.querySelector("textarea"), body = ta.value.trim();
    if (!body) return;
    var p = { client_id: cid(), body: body };
    state.pending.push(p); save(); ta.value = "";
    send({ type: "message", client_id: p.client_id, body: p.body });
    render();
  });
  compose.querySelector("textarea").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(); }
  });
  q(".end").addEventListener("click", function () { send({ type: "close" }); });
  q(".vask").addEventListener("click", function () { send({ type: "verify_request" }); });
  verify.addEventListener("submit", function (e) {
    e.preventDefault();
    send({ type: "verify", code: q(".vcode").value.trim() });
  });
  q(".new").addEventListener("click", reset);
  show("start");
  // Keep-alive that also catches a missed event (the server answers with its last sequence number).
  setInterval(function () { if (state.token) send({ type: "ping" }); }, 30000);
  // A conversation in progress (page reload, next page of the site) resumes at once.
  if (state.token) { wantOpen = true; connect(); }
})();
