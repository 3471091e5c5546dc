/* Herdesk live chat — agent console. Plain JS, no build step.
 * Talks to /ws/chat/agent/ (consumers.AgentChatConsumer). Keeps each conversation's messages by
 * sequence number; on reconnect asks for what it missed ("view" with after_seq) and resends
 * replies that were never acknowledged (the server drops duplicates by client id).
 */
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) return;
  var S = JSON.parse(document.getElementById("chat-strings").textContent);
  var wsURL = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.wsPath;
  var lang = root.dataset.lang || "zh-hans";

  var convs = {};      // public id -> {meta, msgs: {seq: m}, lastSeq, pending: {client_id: body}}
  var current = null;  // selected conversation id
  var ws = null, backoff = 1000, meId = Number(root.dataset.userId);

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function cid() {
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function fmt(iso) {
    try { return new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }); }
    catch (e) { return iso; }
  }
  function conv(id) {
    if (!convs[id]) convs[id] = { meta: { conversation: id }, msgs: {}, lastSeq: 0, pending: {}, ctx: null };
    return convs[id];
  }
  function send(frame) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function banner(text) {
    var b = $("chat-banner");
    b.textContent = text || "";
    b.classList.toggle("d-none", !text);
  }

  function renderQueue() {
    var waiting = $("queue-waiting"), mine = $("queue-mine");
    waiting.textContent = ""; mine.textContent = "";
    var nw = 0, nm = 0;
    Object.keys(convs).forEach(function (id) {
      var c = convs[id], m = c.meta;
      if (m.status === "waiting") {
        nw++;
        var li = el("li", "list-group-item d-flex justify-content-between align-items-start");
        var info = el("div");
        info.appendChild(el("div", "fw-semibold", m.name || "?"));
        info.appendChild(el("div", "small text-muted", m.preview || ""));
        var btn = el("button", "btn btn-sm btn-success", S.accept);
        btn.type = "button";
        btn.addEventListener("click", function () { send({ type: "accept", conversation: id }); });
        li.appendChild(info); li.appendChild(btn);
        waiting.appendChild(li);
      } else if (c.mine && m.status === "active") {
        nm++;
        var item = el("li", "list-group-item list-group-item-action" + (id === current ? " active" : ""));
        item.appendChild(el("span", "fw-semibold", m.name || "?"));
        if (c.unread) item.appendChild(el("span", "badge text-bg-danger ms-2", String(c.unread)));
        item.addEventListener("click", function () { select(id); });
        mine.appendChild(item);
      }
    });
    $("count-waiting").textContent = nw;
    $("count-mine").textContent = nm;
  }

  function renderPane() {
    var c = current && convs[current];
    $("chat-empty").classList.toggle("d-none", !!c);
    $("chat-pane").classList.toggle("d-none", !c);
    ["ctx-customer", "ctx-ticket", "ctx-history", "ctx-replies"].forEach(function (x) { $(x).classList.toggle("d-none", !c); });
    if (!c) return;
    $("pane-title").textContent = c.meta.name || (c.ctx && c.ctx.customer.name) || "";
    $("pane-status").textContent = S[c.meta.status] || c.meta.status || "";
    var list = $("pane-messages");
    list.textContent = "";
    Object.keys(c.msgs).map(Number).sort(function (a, b) { return a - b; }).forEach(function (seq) {
      var m = c.msgs[seq];
      var li = el("li", "chat-msg chat-" + m.sender);
      li.appendChild(el("span", "chat-meta", (m.sender === "agent" ? (m.author || S.you) : (c.meta.name || S.customer)) + " · " + fmt(m.at)));
      li.appendChild(el("div", "chat-body", m.body));
      list.appendChild(li);
    });
    Object.keys(c.pending).forEach(function (k) {
      var li = el("li", "chat-msg chat-agent chat-pending");
      li.appendChild(el("span", "chat-meta", S.pending));
      li.appendChild(el("div", "chat-body", c.pending[k]));
      list.appendChild(li);
    });
    list.scrollTop = list.scrollHeight;
    var closed = c.meta.status === "closed";
    $("pane-input").disabled = closed || c.meta.status !== "active";
    $("btn-close").disabled = closed;
    renderContext(c);
  }

  function renderContext(c) {
    var ctx = c.ctx;
    var created = c.meta.ticket || (ctx && ctx.ticket) || "";
    if (ctx && created && !ctx.tickets.some(function (t) { return t.number === created; })) {
      // The ticket made from this chat is the customer's newest open ticket: count and list it.
      ctx.tickets.unshift({ number: created, subject: c.meta.subject || "", status_label: S.new_ticket || "", channel_label: S.chat || "" });
      ctx.open_tickets = (ctx.open_tickets || 0) + 1;
    }
    var fields = $("ctx-fields");
    fields.textContent = "";
    if (ctx) {
      var cu = ctx.customer;
      [[S.name, cu.name + (cu.name_given && cu.name_given !== cu.name ? " (" + cu.name_given + ")" : "")],
       [S.organisation, cu.organisation], [S.tier, cu.tier_label || cu.tier], [S.phone, cu.phone],
       [S.identity, cu.identity === "portal" ? S.portal : (cu.verified ? S.phone_verified : S.unverified)], [S.page, ctx.page_url]]
        .forEach(function (p) {
          if (!p[1]) return;
          fields.appendChild(el("dt", "col-4", p[0]));
          fields.appendChild(el("dd", "col-8" + (p[0] === S.identity && cu.identity !== "portal" && !cu.verified ? " text-warning" : ""), p[1]));
        });
      var tl = $("ctx-tickets");
      tl.textContent = "";
      ctx.tickets.forEach(function (t) {
        var li = el("li", "mb-1");
        var a = el("a", null, t.number);
        a.href = "/tickets/" + encodeURIComponent(t.number) + "/";
        li.appendChild(a);
        li.appendChild(document.createTextNode(" " + t.subject + " · " + (t.status_label || t.status) + " · " + (t.channel_label || t.channel)));
        tl.appendChild(li);
      });
      $("ctx-open").textContent = S.open_tickets.replace("%(n)s", ctx.open_tickets);
      var rl = $("ctx-reply-list");
      rl.textContent = "";
      ctx.saved_replies.forEach(function (r) {
        var b = el("button", "btn btn-sm btn-outline-secondary", r.title);
        b.type = "button"; b.title = r.body;
        b.addEventListener("click", function () {
          var i = $("pane-input");
          i.value = (i.value ? i.value + "\n" : "") + r.body;
          i.focus();
        });
        rl.appendChild(b);
      });
      $("ctx-replies").classList.toggle("d-none", !ctx.saved_replies.length);
    }
    var number = c.meta.ticket || (ctx && ctx.ticket) || "";
    $("ctx-ticket-number").textContent = number ? S.ticket + ": " + number : S.no_ticket;
    $("form-convert").classList.toggle("d-none", !!number);
    $("form-link").classList.toggle("d-none", !!number);
  }

  function select(id) {
    current = id;
    var c = conv(id);
    c.unread = 0;
    send({ type: "view", conversation: id, after_seq: c.lastSeq });
    renderQueue(); renderPane();
  }

  function addMessages(id, list) {
    var c = conv(id);
    list.forEach(function (m) {
      c.msgs[m.seq] = m;
      if (m.seq > c.lastSeq) c.lastSeq = m.seq;
      if (m.sender === "agent") delete c.pending[m.client_id];
      else if (id !== current) c.unread = (c.unread || 0) + 1;
    });
  }

  function onFrame(f) {
    var id = f.conversation;
    switch (f.type) {
      case "queue_snapshot":
        f.conversations.forEach(function (q) {
          var c = conv(q.conversation);
          c.meta = Object.assign(c.meta, q);
          if (q.status === "active") c.mine = true;  // the snapshot lists only my active chats
        });
        Object.keys(convs).forEach(function (k) { if (convs[k].mine) send({ type: "view", conversation: k, after_seq: convs[k].lastSeq }); });
        Object.keys(convs).forEach(function (k) {
          var c = convs[k];
          Object.keys(c.pending).forEach(function (cidk) { send({ type: "message", conversation: k, client_id: cidk, body: c.pending[cidk] }); });
        });
        break;
      case "queue":
        var qc = conv(id);
        qc.meta = Object.assign(qc.meta, f);
        if (f.status === "active" && f.agent_id === meId) qc.mine = true;
        if (f.status !== "waiting" && !qc.mine && id !== current) delete convs[id];
        break;
      case "accepted":
        var ac = conv(id);
        ac.mine = true;
        ac.meta = Object.assign(ac.meta, f, { status: "active" });
        current = id;
        break;
      case "status":
        var sc = conv(id);
        sc.meta = Object.assign(sc.meta, f);
        break;
      case "context":
        conv(id).ctx = f;
        break;
      case "history":
        addMessages(id, f.messages);
        break;
      case "message":
        // A gap in the sequence means an event was missed: fetch what lies between.
        if (f.seq > conv(id).lastSeq + 1 && conv(id).lastSeq > 0) send({ type: "resume", conversation: id, after_seq: conv(id).lastSeq });
        addMessages(id, [f]);
        break;
      case "ack":
        var k = conv(id);
        delete k.pending[f.client_id];
        break;
      case "ticket":
        conv(id).meta.ticket = f.ticket;
        break;
      case "verified":
        // The visitor entered the SMS code: load the record's history now (issue #14).
        send({ type: "view", conversation: id, after_seq: conv(id).lastSeq });
        break;
      case "pong":
        Object.keys(f.conversations || {}).forEach(function (k) {
          var c = conv(k);
          c.mine = true;
          if (f.conversations[k] > c.lastSeq) send({ type: "resume", conversation: k, after_seq: c.lastSeq });
        });
        break;
      case "error":
        banner(f.message + (f.errors && f.errors.length ? " " + f.errors.map(function (e) { return e.message; }).join(" ") : ""));
        setTimeout(function () { banner(""); }, 6000);
        break;
    }
    renderQueue(); renderPane();
  }

  function connect() {
    ws = new WebSocket(wsURL);
    ws.onopen = function () {
      backoff = 1000; banner("");
      send({ type: "hello", lang: lang });
    };
    ws.onmessage = function (e) { try { onFrame(JSON.parse(e.data)); } catch (err) { /* ignore a bad frame */ } };
    ws.onclose = function (e) {
      if (e.code === 4403) { banner(S.signed_out); return; }
      banner(S.reconnecting);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  $("pane-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("pane-input"), body = input.value.trim();
    if (!body || !current) return;
    var id = cid();
    conv(current).pending[id] = body;
    input.value = "";
    send({ type: "message", conversation: current, client_id: id, body: body });
    renderPane();
  });
  $("pane-input").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("pane-form").requestSubmit(); }
  });
  $("btn-close").addEventListener("click", function () { if (current) send({ type: "close", conversation: current }); });
  $("form-convert").addEventListener("submit", function (e) {
    e.preventDefault();
    if (current) send({ type: "convert", conversation: current, problem_type: $("convert-type").value, subject: $("convert-subject").value });
  });
  $("form-link").addEventListener("submit", function (e) {
    e.preventDefault();
    if (current) send({ type: "link", conversation: current, ticket: $("link-number").value });
  });
  // Keep-alive that also catches missed events (the server answers with its last sequence numbers).
  setInterval(function () { send({ type: "ping" }); }, 25000);
  connect();
})();
