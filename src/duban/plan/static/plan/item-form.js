/* The item form: a unit chosen in the "查找并添加" picker is appended to the 责任单位 box. */
(function () {
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.name !== "co_pick") return;
    var id = document.querySelector("input[name=co_pick_id]");
    var box = document.getElementById("id_co_units");
    if (!box || !id || !id.value || !input.value) return;
    var names = box.value.split(/[、，,；;\s]+/).filter(Boolean);
    if (names.indexOf(input.value) < 0) names.push(input.value);
    box.value = names.join("、");
    input.value = "";
    id.value = "";
  });
})();
