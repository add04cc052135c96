/* Opening a round or a cadence: a unit chosen in the "查找并添加" picker is appended to the 指定单位 box,
   and the box shows only when the scope is 指定单位. */
(function () {
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.name === "scope") { toggle(); return; }
    if (input.name !== "unit_pick") return;
    var id = document.querySelector("input[name=unit_pick_id]");
    var box = document.getElementById("id_units");
    if (!box || !id || !id.value || !input.value) return;
    var names = box.value.split(/[、，,；;\s]+/).filter(Boolean);
    if (names.indexOf(input.value) < 0) names.push(input.value);
    box.value = names.join("、");
    input.value = "";
    id.value = "";
  });
  function toggle() {
    var scope = document.getElementById("id_scope");
    var row = document.getElementById("row-units");
    if (scope && row) row.hidden = scope.value !== "units" && !row.querySelector(".errorlist");
  }
  document.addEventListener("DOMContentLoaded", toggle);
})();
