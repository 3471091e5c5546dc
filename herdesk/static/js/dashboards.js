/* 牧服 Herdesk: the report and dashboard charts (KPI-2). No inline script (CSP): every element
   with data-charts="<id of a json_script>" gets the charts listed there; a click on a bar or point
   opens the tickets behind it (the chart's `links`, one per category). */
(function () {
  "use strict";
  var GREEN = "#1f8a5b", PALETTE = [GREEN, "#e0a100", "#d0312d", "#3b6fb6", "#6fb597", "#9aa7a0", "#8a5bb8"];

  function fmt(v, percent) {
    if (v === null || v === undefined) return "—";
    return percent ? (v * 100).toFixed(1) + "%" : (Math.round(v * 10) / 10).toLocaleString();
  }

  function option(spec) {
    var percent = !!spec.percent, horizontal = spec.kind === "hbar";
    var cats = spec.categories.slice(), series = spec.series.map(function (s) { return {name: s.name, data: s.data.slice()}; });
    if (horizontal) { cats.reverse(); series.forEach(function (s) { s.data.reverse(); }); }
    var valueAxis = {type: "value", minInterval: percent ? 0 : 1,
                     axisLabel: {formatter: function (v) { return fmt(v, percent); }}};
    if (percent) { valueAxis.max = 1; valueAxis.min = 0; }
    var catAxis = {type: "category", data: cats, axisLabel: {width: 130, overflow: "truncate"}};
    var out = {
      animation: false,
      color: PALETTE,
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"},
                valueFormatter: function (v) { return fmt(v, percent); }},
      legend: spec.series.length > 1 ? {bottom: 0} : undefined,
      grid: {left: 8, right: 40, top: 12, bottom: spec.series.length > 1 ? 28 : 8, containLabel: true},
      xAxis: horizontal ? valueAxis : catAxis,
      yAxis: horizontal ? catAxis : valueAxis,
      series: series.map(function (s, i) {
        var one = {name: s.name, type: spec.kind === "line" ? "line" : "bar", data: s.data, barMaxWidth: 22,
                   stack: spec.stacked ? "all" : undefined, connectNulls: true, cursor: spec.links ? "pointer" : "default",
                   label: {show: spec.kind === "hbar" && !spec.stacked, position: "right",
                           formatter: function (p) { return fmt(p.value, percent); }}};
        if (i === 0 && spec.target !== undefined && spec.target !== null) {
          one.markLine = {symbol: "none", silent: true, lineStyle: {color: "#d0312d", type: "dashed"},
                          label: {formatter: spec.target_label || fmt(spec.target, percent)},
                          data: [horizontal ? {xAxis: spec.target} : {yAxis: spec.target}]};
        }
        return one;
      })
    };
    return out;
  }

  function draw(spec) {
    var el = document.getElementById(spec.id);
    if (!el || !window.echarts) return;
    var chart = window.echarts.init(el, null, {renderer: "svg"});
    chart.setOption(option(spec));
    window.addEventListener("resize", function () { chart.resize(); });
    if (spec.links) {
      var n = spec.categories.length;
      chart.on("click", function (p) {
        var i = spec.kind === "hbar" ? n - 1 - p.dataIndex : p.dataIndex;
        var url = spec.links[i];
        if (url) window.location.href = url;
      });
    }
  }

  function init() {
    var holders = document.querySelectorAll("[data-charts]");
    for (var i = 0; i < holders.length; i++) {
      var src = document.getElementById(holders[i].getAttribute("data-charts"));
      if (!src) continue;
      JSON.parse(src.textContent).forEach(draw);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
