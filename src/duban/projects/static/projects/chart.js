// The project page's chart: progress and the investment rates (year-to-date against the annual
// plan, since start against the total) by period, with this period's investment as bars.
(function () {
  const el = document.getElementById("record-chart");
  const data = document.getElementById("record-history");
  if (!el || !data || !window.echarts) return;
  const rows = JSON.parse(data.textContent);
  const w = document.getElementById("chart-words").dataset;
  const pct = (v) => (v === null ? null : Math.round(v * 1000) / 10);
  const chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 48 },
    xAxis: { type: "category", data: rows.map((r) => r.period), axisLabel: { rotate: rows.length > 8 ? 30 : 0 } },
    yAxis: [{ type: "value", name: "%", min: 0, max: (v) => Math.max(100, Math.ceil(v.max / 10) * 10) }, { type: "value", name: "万元" }],
    series: [
      { name: w.progress, type: "line", data: rows.map((r) => r.progress) },
      { name: w.year, type: "line", data: rows.map((r) => pct(r.year_rate)) },
      { name: w.total, type: "line", data: rows.map((r) => pct(r.total_rate)) },
      { name: w.invested, type: "bar", yAxisIndex: 1, data: rows.map((r) => r.invested_wan), itemStyle: { color: "#b0bec5" } },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
