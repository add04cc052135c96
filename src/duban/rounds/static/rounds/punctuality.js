/* The on-time rate of each round as a line (ECharts, vendored). */
(function () {
  function draw() {
    var el = document.getElementById("trend");
    var data = document.getElementById("trend-data");
    if (!el || !data || !window.echarts) return;
    var rows = JSON.parse(data.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      grid: { left: 48, right: 16, top: 24, bottom: 48 },
      tooltip: { trigger: "axis", formatter: function (p) {
        var r = rows[p[0].dataIndex];
        return r.round + "<br>" + r.due + "<br>" + (r.rate * 100).toFixed(1) + "%（" + r.on_time + " / " + r.expected + "）";
      } },
      xAxis: { type: "category", data: rows.map(function (r) { return r.due.slice(5); }) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ type: "line", smooth: true, data: rows.map(function (r) { return Math.round(r.rate * 1000) / 10; }),
                 areaStyle: { opacity: 0.08 }, itemStyle: { color: "#2e7d32" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
