/* The unit's form: ticking 无新进展 greys the row's 本期工作 (it is not required then); leaving
   the page with unsaved changes asks first. */
(function () {
  var form = document.getElementById("round-form");
  if (!form) return;
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function (e) {
    dirty = true;
    var box = e.target;
    if (!box.name || !/-unchanged$/.test(box.name)) return;
    var item = box.closest(".item");
    if (item) item.classList.toggle("is-unchanged", box.checked);
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
})();
