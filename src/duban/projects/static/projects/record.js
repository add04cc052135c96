// The record form: blocker rows after the first stay hidden until "再加一条问题" (without the script all show).
(function () {
  const rows = Array.from(document.querySelectorAll("#blocker-rows .blocker-row"));
  const more = document.getElementById("more-blockers");
  if (!rows.length || !more) return;
  const empty = (row) => Array.from(row.querySelectorAll("input:not([type=hidden]), textarea, select")).every((el) => !el.value);
  let shown = 1;
  rows.forEach((row, i) => { if (i > 0 && empty(row) && !row.querySelector(".errorlist")) { row.hidden = true; } else { shown = i + 1; } });
  const update = () => { more.hidden = rows.every((r) => !r.hidden); };
  more.addEventListener("click", () => { const next = rows.find((r) => r.hidden); if (next) { next.hidden = false; } update(); });
  update();
})();
