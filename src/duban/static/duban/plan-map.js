/* 挂图作战: the plan's Gantt chart on ECharts (custom series), from plan:map_data.
 *
 * One row per item (group headings between them); per row the planned bar coloured by its
 * light (its label written beside it, so colour is never the only sign), progress filled
 * in, the actual start→finish as a line above, the chosen baseline as a thin grey bar
 * below, milestones as diamonds (filled when done), finish-to-start links as arrows, the
 * critical chain with a heavy outline, and a dashed line for today. The y axis scrolls
 * (dataZoom) so a plan of thousands of items stays quick. PNG export: getDataURL; print:
 * the chart is redrawn at A3 landscape width before printing.
 */
(function () {
  "use strict";
  var DAY = 86400000;
  var WINDOW = 30; // rows shown at once
  var ROW_PX = 26;
  var chart = null;
  var data = null;
  var L = {};

  function t(d) { return d ? Date.parse(d + "T00:00:00") : null; }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function chartHeight(n) {
    return Math.max(320, Math.min(n, WINDOW) * ROW_PX + 110);
  }

  // An item comes as a list in data.fields' order (a third of the JSON of an object each).
  function expand(d) {
    return d.rows.map(function (r) {
      if (!Array.isArray(r)) return r;
      var o = {kind: "item"};
      d.fields.forEach(function (f, i) { o[f] = r[i]; });
      o.milestones = o.milestones.map(function (m) { return {due: m[0], done: m[1], title: m[2]}; });
      o.baseline = o.baseline ? {start: o.baseline[0], deadline: o.baseline[1], days: o.baseline[2], text: o.baseline[3]} : null;
      return o;
    });
  }

  function build(el) {
    var rows = data.rows = expand(data);
    var today = t(data.today);
    var colours = {}, labels = {};
    data.lights.forEach(function (l) { colours[l.value] = l.color; labels[l.value] = l.label; });
    var index = {};
    rows.forEach(function (r, i) {
      if (r.kind !== "item") return;
      index[r.id] = i;
      r.label = ((r.seq ? r.seq + " " : "") + r.title).slice(0, 60);
      r.light_label = labels[r.light] || "";
      r.status_label = data.statuses[r.status] || "";
    });

    // Bars: one series per light, so the legend names (and toggles) each light.
    var perLight = {};
    data.lights.forEach(function (l) { perLight[l.value] = []; });
    var groupBars = [], baseBars = [], stones = [], links = [];
    rows.forEach(function (r, i) {
      if (r.kind === "group") {
        if (r.start) groupBars.push([i, t(r.start), t(r.deadline), r.count]);
        return;
      }
      var end = t(r.deadline), start = t(r.start);
      if (end === null && start === null) {
        perLight[r.light].push([i, today, today, r.progress, t(r.started), t(r.finished), r.critical ? 1 : 0, 1]);
      } else {
        perLight[r.light].push([i, start === null ? end : start, end === null ? start : end, r.progress,
          t(r.started), t(r.finished), r.critical ? 1 : 0, 0]);
      }
      if (r.baseline && (r.baseline.start || r.baseline.deadline)) {
        var bs = t(r.baseline.start || r.baseline.deadline), be = t(r.baseline.deadline || r.baseline.start);
        baseBars.push([i, bs, be]);
      }
      r.milestones.forEach(function (m) {
        stones.push({value: [t(m.due), i], name: m.title, done: m.done,
          itemStyle: {color: m.done ? "#222" : "#fff", borderColor: "#222", borderWidth: 1.5}});
      });
    });
    data.links.forEach(function (p) {
      var a = index[p[0]], b = index[p[1]];
      if (a === undefined || b === undefined) return;
      var ra = rows[a], rb = rows[b];
      var aEnd = t(ra.deadline) || t(ra.start) || today, bStart = t(rb.start) || t(rb.deadline) || today;
      links.push([a, aEnd, b, bStart, ra.critical && rb.critical ? 1 : 0]);
    });

    function barItem(params, api) {
      var y = api.value(0);
      var s = api.coord([api.value(1), y]), e = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1];
      var top = s[1] - h * 0.32, bh = h * 0.36;
      var x0 = s[0], w = Math.max(e[0] - s[0], 4);
      var row = rows[y];
      var colour = colours[row.light];
      var kids = [];
      if (api.value(7)) { // no dates at all: a note instead of a bar
        kids.push({type: "text", style: {x: x0 + 4, y: s[1] - h * 0.1, text: row.light_label, fill: "#444", font: "11px sans-serif", verticalAlign: "middle"}});
        return {type: "group", children: kids};
      }
      kids.push({type: "rect", shape: {x: x0, y: top, width: w, height: bh},
        style: {fill: colour, opacity: 0.28, stroke: api.value(6) ? "#111" : colour, lineWidth: api.value(6) ? 2.5 : 1}});
      var done = Math.max(0, Math.min(100, api.value(3)));
      if (done > 0) kids.push({type: "rect", shape: {x: x0, y: top, width: w * done / 100, height: bh}, style: {fill: colour}});
      var as = api.value(4), af = api.value(5);
      if (as) { // actual start → finish (or today), a dark line along the bar's top
        var a0 = api.coord([as, y])[0], a1 = api.coord([af || today, y])[0];
        kids.push({type: "line", shape: {x1: a0, y1: top - 2, x2: Math.max(a1, a0 + 2), y2: top - 2}, style: {stroke: "#222", lineWidth: 2}});
      }
      var text = row.light_label + " " + row.progress + "%" + (row.critical ? " · " + L.critical : "");
      kids.push({type: "text", style: {x: x0 + w + 5, y: top + bh / 2, text: (row.late_start ? "⚠ " : "") + text,
        fill: row.late_start ? "#b71c1c" : "#333", font: (row.critical ? "bold " : "") + "11px sans-serif", verticalAlign: "middle"}});
      return {type: "group", children: kids};
    }

    function baseItem(params, api) {
      var y = api.value(0);
      var s = api.coord([api.value(1), y]), e = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1];
      return {type: "rect", shape: {x: s[0], y: s[1] + h * 0.12, width: Math.max(e[0] - s[0], 3), height: Math.max(3, h * 0.13)},
        style: {fill: "#9e9e9e"}};
    }

    function groupItem(params, api) {
      var y = api.value(0);
      var s = api.coord([api.value(1), y]), e = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1];
      var x0 = s[0], x1 = Math.max(e[0], s[0] + 4), yy = s[1] - h * 0.1;
      return {type: "group", children: [
        {type: "rect", shape: {x: x0, y: yy - 3, width: x1 - x0, height: 6}, style: {fill: "#37474f"}},
        {type: "polygon", shape: {points: [[x0, yy + 3], [x0 + 6, yy + 3], [x0, yy + 9]]}, style: {fill: "#37474f"}},
        {type: "polygon", shape: {points: [[x1, yy + 3], [x1 - 6, yy + 3], [x1, yy + 9]]}, style: {fill: "#37474f"}}
      ]};
    }

    function linkItem(params, api) {
      var a = api.coord([api.value(1), api.value(0)]), b = api.coord([api.value(3), api.value(2)]);
      // Both ends on screen, or nothing: a link to a row scrolled away would cross the chart.
      var box = params.coordSys;
      if (a[1] < box.y || a[1] > box.y + box.height || b[1] < box.y || b[1] > box.y + box.height) return null;
      var h = api.size([0, 1])[1];
      var crit = api.value(4);
      var stroke = crit ? "#111" : "#607d8b";
      var ay = a[1] - h * 0.14, by = b[1] - h * 0.14;
      var mid = Math.max(a[0] + 6, Math.min(b[0] - 6, a[0] + 6));
      var pts = [[a[0], ay], [mid, ay], [mid, by], [b[0] - 1, by]];
      return {type: "group", children: [
        {type: "polyline", shape: {points: pts}, style: {stroke: stroke, lineWidth: crit ? 2 : 1, fill: null}},
        {type: "polygon", shape: {points: [[b[0], by], [b[0] - 6, by - 3.5], [b[0] - 6, by + 3.5]]}, style: {fill: stroke}}
      ]};
    }

    var cats = rows.map(function (r) {
      if (r.kind === "group") return "{g|" + r.label.replace(/[{}|]/g, " ") + "}";
      var lab = (r.level >= 3 ? "　" : "") + (r.late_start ? "⚠" : "") + r.label;
      return (r.critical ? "{c|" : "{n|") + lab.replace(/[{}|]/g, " ") + "}";
    });

    function tip(p) {
      if (p.seriesType === "scatter") {
        var m = p.data;
        return esc(m.name) + "<br>" + echarts.time.format(m.value[0], "{yyyy}-{MM}-{dd}") + " · " + (m.done ? L.done : L.open);
      }
      var r = rows[p.value[0]];
      if (!r) return "";
      if (p.seriesName === L.links) {
        return esc(rows[p.value[0]].label) + " → " + esc(rows[p.value[2]].label);
      }
      if (r.kind === "group") return esc(r.label) + "<br>" + r.count + " " + L.items;
      var out = ["<b>" + esc((r.seq ? r.seq + " " : "") + r.title) + "</b>",
        L.status + "：" + esc(r.status_label) + " · " + esc(r.light_label) + " · " + L.progress + " " + r.progress + "%",
        L.unit + "：" + esc(r.unit) + (r.leader ? " · " + L.leader + "：" + esc(r.leader) : ""),
        (r.start_is_latest ? L.latest : L.start) + "：" + (r.start || L.none) + " → " + L.deadline + "：" + (r.deadline || L.none)];
      if (r.latest_start) out.push(L.latest + "：" + r.latest_start + (r.slack != null ? " · " + L.slack + " " + r.slack + " " + L.days : ""));
      if (r.started) out.push(L.actual + "：" + r.started + " → " + (r.finished || L.now));
      if (r.critical) out.push("<b>" + L.critical + "</b>");
      if (r.late_start) out.push('<span style="color:#b71c1c">⚠ ' + L.late + "</span>");
      if (r.baseline) out.push(L.baseline + "：" + (r.baseline.start || L.none) + " → " + (r.baseline.deadline || L.none) + (r.baseline.text ? " · " + esc(r.baseline.text) : ""));
      if (r.milestones.length) {
        out.push(L.milestones + "：" + r.milestones.map(function (m) { return (m.done ? "◆" : "◇") + esc(m.title) + " " + m.due; }).join("；"));
      }
      return out.join("<br>");
    }

    var series = [];
    series.push({name: L.groups, type: "custom", renderItem: groupItem, encode: {x: [1, 2], y: 0}, data: groupBars, clip: true,
      tooltip: {show: true},
      markLine: {silent: true, symbol: "none", lineStyle: {color: "#b71c1c", type: "dashed", width: 1.5},
        label: {formatter: L.today + " " + data.today.slice(5), color: "#b71c1c", position: "end"},
        data: [{xAxis: today}]}});
    data.lights.forEach(function (l) {
      series.push({name: l.label, type: "custom", renderItem: barItem, encode: {x: [1, 2], y: 0}, data: perLight[l.value],
        itemStyle: {color: l.color}, clip: true});
    });
    if (data.baseline) {
      series.push({name: L.baseline_n.replace("{n}", data.baseline.number), type: "custom", renderItem: baseItem, encode: {x: [1, 2], y: 0},
        data: baseBars, itemStyle: {color: "#9e9e9e"}, clip: true, z: 1});
    }
    series.push({name: L.milestones, type: "scatter", symbol: "diamond", symbolSize: 10, symbolOffset: [0, -3], data: stones,
      itemStyle: {color: "#222"}, z: 5, clip: true});
    series.push({name: L.links, type: "custom", renderItem: linkItem, encode: {x: [1, 3], y: [0, 2]}, data: links,
      itemStyle: {color: "#607d8b"}, clip: true, z: 4});

    var end = Math.min(rows.length, WINDOW) - 1;
    el.style.height = chartHeight(rows.length) + "px";
    chart = echarts.init(el, null, {renderer: "canvas"});
    var narrow = el.clientWidth < 600;
    var zh = (document.documentElement.lang || "").indexOf("zh") === 0; // the axis's date format
    chart.setOption({
      animation: false,
      aria: {enabled: true},
      tooltip: {trigger: "item", confine: true, formatter: tip},
      legend: {top: 0, type: "scroll", data: series.map(function (s) { return s.name; }).filter(function (n) { return n !== L.groups; })},
      grid: {left: narrow ? 110 : 260, right: 56, top: 44, bottom: 56},
      xAxis: {type: "time", position: "top", min: t(data.range[0]), max: t(data.range[1]),
        axisLabel: {formatter: zh ? {year: "{yyyy}", month: "{M}月", day: "{d}日"} : {year: "{yyyy}", month: "{MMM}", day: "{d}"},
        hideOverlap: true},
        splitLine: {show: true, lineStyle: {color: "#eee"}}},
      yAxis: {type: "category", inverse: true, data: cats,
        axisTick: {show: false}, splitLine: {show: true, lineStyle: {color: "#f3f3f3"}},
        axisLabel: {width: narrow ? 104 : 250, overflow: "truncate", interval: 0, rich: {
          g: {fontWeight: "bold", color: "#111", backgroundColor: "#eceff1", padding: [2, 4]},
          c: {fontWeight: "bold", color: "#111"}, n: {color: "#333"}}}},
      dataZoom: [
        {type: "slider", yAxisIndex: 0, right: 6, width: 16, startValue: 0, endValue: end, filterMode: "weakFilter",
          showDetail: false, brushSelect: false, zoomLock: false},
        {type: "inside", yAxisIndex: 0, startValue: 0, endValue: end, filterMode: "weakFilter", zoomOnMouseWheel: false,
          moveOnMouseWheel: true, moveOnMouseMove: false},
        {type: "slider", xAxisIndex: 0, bottom: 8, height: 18, filterMode: "weakFilter", labelFormatter: function (v) {
          return echarts.time.format(v, "{yyyy}-{MM}-{dd}"); }},
        {type: "inside", xAxisIndex: 0, filterMode: "weakFilter", zoomOnMouseWheel: "ctrl", moveOnMouseWheel: false}
      ],
      series: series
    });
    chart.on("click", function (p) {
      var r = p.value && rows[p.value[0]];
      if (r && r.kind === "item" && p.seriesType === "custom" && p.seriesName !== L.links && el.dataset.itemUrl) {
        window.location.href = el.dataset.itemUrl.replace("0", r.id);
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "1";
  }

  function load() {
    var el = document.getElementById("map-chart");
    if (!el || !window.echarts) return;
    L = JSON.parse(document.getElementById("map-labels").textContent);
    fetch(el.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (d) {
        data = d;
        if (!d.rows.length) {
          el.style.minHeight = "0";
          el.innerHTML = '<p class="muted">' + esc(el.dataset.empty) + "</p>";
          el.dataset.ready = "1";
          return;
        }
        build(el);
      })
      .catch(function (e) { el.textContent = String(e); el.dataset.ready = "error"; });
  }

  function png() {
    if (!chart) return;
    var url = chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff", excludeComponents: ["dataZoom"]});
    var a = document.createElement("a");
    a.href = url;
    a.download = L.file + "-" + (data ? data.today : "") + ".png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  // Print: A3 landscape is 400 mm wide inside its margins (≈1510 px at 96 dpi); the
  // canvas is drawn again at that size, then back to the screen's.
  // The sliders are hidden on paper; the rows shown are those of the screen's window.
  var before = null;
  function sliders(show) {
    chart.setOption({dataZoom: [{show: show}, {}, {show: show}, {}]});
  }
  function toPrint() {
    if (!chart || before) return;
    var el = document.getElementById("map-chart");
    before = {w: el.style.width, h: el.style.height};
    el.style.width = "1510px";
    el.style.height = "900px";
    sliders(false);
    chart.resize({width: 1510, height: 900});
  }
  function fromPrint() {
    if (!chart || !before) return;
    var el = document.getElementById("map-chart");
    el.style.width = before.w;
    el.style.height = before.h;
    before = null;
    sliders(true);
    chart.resize({width: "auto", height: "auto"});
  }

  window.addEventListener("beforeprint", toPrint);
  window.addEventListener("afterprint", fromPrint);
  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("map-png");
    if (b) b.addEventListener("click", png);
    var p = document.getElementById("map-print");
    if (p) p.addEventListener("click", function () { window.print(); });
    load();
  });
  window.dubanMap = {png: png, toPrint: toPrint, fromPrint: fromPrint, chart: function () { return chart; }};
})();
