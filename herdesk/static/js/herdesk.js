/* 牧服 Herdesk workspace behaviour: live countdowns, intake checklist and read-back, small helpers.
   No framework: Bootstrap and htmx do the rest. */
(function () {
  "use strict";
  var body = document.body;
  var T = {
    paused: body.dataset.i18nPaused || "paused",
    overdue: body.dataset.i18nOverdue || "overdue",
    day: body.dataset.i18nDay || "d"
  };
  // Correct for a client clock that is off: count from the server's time at render.
  var serverNow = Date.parse(body.dataset.serverNow || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  function now() { return Date.now() + skew; }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    return (d ? d + T.day + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  /* ---- countdowns: green → amber after warn_at → red (pulsing) after due_at ---- */
  function tick() {
    var t = now();
    var els = document.querySelectorAll('.hd-cd[data-state="running"]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var due = Date.parse(el.dataset.due), warn = Date.parse(el.dataset.warn), start = Date.parse(el.dataset.start);
      var left = due - t;
      el.textContent = (left < 0 ? "-" : "") + fmt(left);
      el.classList.toggle("hd-cd-ok", t < warn && left >= 0);
      el.classList.toggle("hd-cd-warn", t >= warn && left >= 0);
      el.classList.toggle("hd-cd-over", left < 0);
      el.title = left < 0 ? T.overdue : "";
      var bar = el.closest(".hd-clock");
      bar = bar && bar.querySelector(".hd-clock-bar span");
      if (bar && due > start) {
        bar.style.width = Math.max(0, Math.min(100, (t - start) * 100 / (due - start))) + "%";
      }
    }
  }
  tick();
  setInterval(tick, 1000);

  /* ---- saved replies: insert the text into the target textarea ---- */
  var repliesEl = document.getElementById("saved-replies");
  var replies = repliesEl ? JSON.parse(repliesEl.textContent) : {};
  document.addEventListener("change", function (e) {
    var sel = e.target.closest && e.target.closest(".hd-reply-picker");
    if (!sel || !sel.value) return;
    var target = document.getElementById(sel.dataset.target);
    if (target) {
      target.value = (target.value ? target.value + "\n" : "") + (replies[sel.value] || "");
      target.dispatchEvent(new Event("input", {bubbles: true}));
      target.focus();
    }
    sel.value = "";
  });

  /* ---- bulk selection ---- */
  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("[data-check-all]");
    if (!all) return;
    document.querySelectorAll('input[name="' + all.dataset.checkAll + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  /* ---- triage: apply the routing suggestion ---- */
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest(".hd-apply-suggestion");
    if (!btn) return;
    var box = btn.closest(".hd-suggestion");
    var team = document.getElementById("id_triage-team");
    if (box && team && box.dataset.team) { team.value = box.dataset.team; team.dispatchEvent(new Event("change")); }
  });

  /* ---- intake: call timer, checklist, read-back ---- */
  var form = document.getElementById("intake-form");
  if (form) {
    var cfg = JSON.parse(form.dataset.intake || "{}");
    var started = form.querySelector('[name="call_started_at"]');
    var startedLabel = document.getElementById("call-started");
    var timer = document.getElementById("call-timer");
    var v = function (name) { var el = form.querySelector('[name="' + name + '"]'); return el ? (el.value || "").trim() : ""; };
    var selectedCustomer = function () { return form.querySelector('input[name="customer_id"]:checked'); };

    var showStart = function () {
      var at = Date.parse(started.value);
      if (isNaN(at)) return;
      var d = new Date(at);
      startedLabel.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    };
    showStart();
    setInterval(function () {
      var at = Date.parse(started.value);
      if (!isNaN(at)) timer.textContent = fmt(now() - at).replace(/^00:/, "");
    }, 1000);
    document.getElementById("call-restart").addEventListener("click", function () {
      // The call starts now: received_at of the ticket (INT-2 clocks count from here).
      started.value = new Date(now()).toISOString();
      showStart();
    });

    var missing = function () {
      var cust = selectedCustomer();
      var custId = cust && cust.value;
      var name = custId ? cust.dataset.name : v("new_name");
      var region = v("region") || (custId ? cust.dataset.region : "");
      var type = v("problem_type"), product = v("product"), order = v("order_number");
      var out = [];
      if (!name) out.push("name");
      if (!custId && !v("phone")) out.push("contact");
      if (!region) out.push("region");
      var needP = (cfg.needsProduct || []).indexOf(type) >= 0, needO = (cfg.needsOrder || []).indexOf(type) >= 0;
      var needE = (cfg.needsEither || []).indexOf(type) >= 0;
      if ((needP && !product) || (needO && !order) || (needE && !product && !order)) out.push("product");
      if (!v("description")) out.push("description");
      return out;
    };
    var readback = function () {
      var type = v("problem_type"), subject = v("subject");
      if (!type || !subject) return "";
      var about = [cfg.products[v("product")] || "", v("order_number")].filter(Boolean).join(" / ");
      var tpl = about ? cfg.readback["with"] : cfg.readback["without"];
      // A space between a model number and the Chinese that follows it ("MK-300 的"), as the server does.
      return tpl.replace("%(type)s", cfg.types[type] || type).replace("%(about)s", about).replace("%(subject)s", subject)
        .replace(/([A-Za-z0-9])([\u4e00-\u9fff])/g, "$1 $2");
    };
    var refresh = function () {
      var miss = missing();
      document.querySelectorAll("#checklist [data-check]").forEach(function (li) {
        var m = miss.indexOf(li.dataset.check) >= 0;
        li.classList.toggle("done", !m);
        li.classList.toggle("missing", m && form.dataset.touched === "1");
      });
      var text = readback();
      var rb = document.getElementById("readback");
      if (text) rb.textContent = text;
    };
    form.addEventListener("input", function () { form.dataset.touched = "1"; refresh(); });
    form.addEventListener("change", function (e) {
      if (e.target.name === "customer_id" && e.target.checked) {
        var region = form.querySelector('[name="region"]');
        if (region && !region.value && e.target.dataset.region) region.value = e.target.dataset.region;
      }
      form.dataset.touched = "1";
      refresh();
    });
    document.body.addEventListener("htmx:afterSwap", function () {
      // A single match is pre-selected: take its region, as a click on it would.
      var cust = selectedCustomer(), region = form.querySelector('[name="region"]');
      if (cust && cust.value && region && !region.value && cust.dataset.region) region.value = cust.dataset.region;
      refresh();
    });
    refresh();
  }

  /* ---- charts (ECharts, vendored) ---- */
  var Herdesk = window.Herdesk = window.Herdesk || {};
  var COLORS = {running: "#1f8a5b", warning: "#e0a100", overdue: "#f08a87", breached: "#d0312d",
                met: "#1f8a5b", reneg: "#6fb597", running2: "#9aa7a0"};
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function chart(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var c = window.echarts.init(el, null, {renderer: "svg"});
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  Herdesk.boardChart = function (elId, dataId) {
    var d = data(dataId), c = chart(elId);
    if (!d || !c) return;
    c.setOption({
      animation: false,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: d.teams, inverse: true},
      series: ["running", "warning", "overdue", "breached"].map(function (k) {
        return {name: d.labels[k], type: "bar", stack: "all", data: d.series[k], itemStyle: {color: COLORS[k]},
                barMaxWidth: 22};
      })
    });
  };
  /* Service reports: contacts by channel, problem type and team (KPI-2), one horizontal bar chart each. */
  Herdesk.volumeCharts = function (dataId) {
    var d = data(dataId);
    if (!d) return;
    ["channel", "problem_type", "team"].forEach(function (key) {
      var c = chart("chart-" + key), rows = (d[key] || []).slice().reverse();
      if (!c) return;
      c.setOption({
        animation: false,
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        grid: {left: 8, right: 24, top: 8, bottom: 8, containLabel: true},
        xAxis: {type: "value", minInterval: 1},
        yAxis: {type: "category", data: rows.map(function (r) { return r[0]; })},
        series: [{type: "bar", data: rows.map(function (r) { return r[1]; }), itemStyle: {color: COLORS.met},
                  barMaxWidth: 22, label: {show: true, position: "right"}}]
      });
    });
  };

  /* Peak analysis: contacts by hour × weekday (heat map) and the four-week forecast (KPI-4). */
  Herdesk.peakCharts = function (dataId) {
    var d = data(dataId), heat = chart("chart-heat"), fc = chart("chart-forecast");
    if (!d) return;
    var max = Math.max.apply(null, d.heat.map(function (c) { return c[2]; }).concat([1]));
    if (heat) heat.setOption({
      animation: false,
      tooltip: {position: "top"},
      grid: {left: 8, right: 8, top: 8, bottom: 48, containLabel: true},
      xAxis: {type: "category", data: Array.from({length: 24}, function (_, h) { return h + ":00"; })},
      yAxis: {type: "category", data: d.weekdays},
      visualMap: {min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                  inRange: {color: ["#f1f7f3", COLORS.met]}},
      series: [{type: "heatmap", data: d.heat.map(function (c) { return [c[0], c[1], c[2]]; })}]
    });
    if (fc) fc.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      grid: {left: 8, right: 16, top: 16, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: d.forecast.map(function (f) { return f.day.slice(5); })},
      yAxis: {type: "value", minInterval: 1},
      series: [{name: d.labels.expected, type: "bar", barMaxWidth: 18,
                data: d.forecast.map(function (f) {
                  return {value: f.expected, itemStyle: {color: f.working ? COLORS.met : COLORS.running2}};
                })}]
    });
  };

  Herdesk.complianceChart = function (elId, dataId) {
    var d = data(dataId), c = chart(elId);
    if (!d || !c) return;
    c.setOption({
      animation: false,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 0},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      xAxis: {type: "category", data: d.kinds, axisLabel: {interval: 0, rotate: d.kinds.length > 6 ? 20 : 0}},
      yAxis: {type: "value", minInterval: 1},
      series: [["met", "met"], ["reneg", "reneg"], ["breached", "breached"], ["running", "running2"]].map(function (p) {
        return {name: d.labels[p[0]], type: "bar", stack: "all", data: d[p[0]], itemStyle: {color: COLORS[p[1]]},
                barMaxWidth: 36};
      })
    });
  };
})();

/* A refused htmx request (400 bad input, 429 over a limit) carries its message as HTML to show in
   place, like a 200: htmx would otherwise drop it. */
document.addEventListener("htmx:beforeSwap", function (e) {
  var s = e.detail.xhr.status;
  if (s === 400 || s === 409 || s === 429) { e.detail.shouldSwap = true; e.detail.isError = false; }
});

/* The assignee list follows the chosen team (triage, transfer, bulk reassignment): staff options
   are labelled "name · team", so only the members of the selected team stay selectable. */
(function () {
  "use strict";
  function pair(teamSel) {
    var name = teamSel.name.replace(/team$/, "assignee");
    return teamSel.form ? teamSel.form.querySelector('select[name="' + name + '"]') : null;
  }
  function filter(teamSel) {
    var who = pair(teamSel);
    if (!who) return;
    var opt = teamSel.options[teamSel.selectedIndex];
    var team = opt && opt.value ? opt.text.trim() : "";
    Array.prototype.forEach.call(who.options, function (o) {
      var show = !o.value || !team || o.text.slice(-(team.length + 3)) === " · " + team;
      o.hidden = !show;
      o.disabled = !show;
    });
    var cur = who.options[who.selectedIndex];
    if (cur && cur.disabled) who.value = "";
  }
  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll('select[name$="team"]'), function (t) {
      if (!pair(t) || t.dataset.hdTeamFilter) return;
      t.dataset.hdTeamFilter = "1";
      t.addEventListener("change", function () { filter(t); });
      filter(t);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
