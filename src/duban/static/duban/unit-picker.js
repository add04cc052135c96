/* The unit picker (orgs/_unit_picker.html): type part of a unit's name, choose from the
   list by mouse, finger or keyboard (↑ ↓ Enter, Esc closes). The chosen id goes in the
   hidden box; typing again clears it, and the server then resolves the typed name. */
(function () {
  if (window.dubanUnitPicker) return;
  window.dubanUnitPicker = true;
  var seq = 0;

  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var input = root.querySelector("input[type=text]");
    var hidden = root.querySelector("input[type=hidden]");
    var list = root.querySelector("ul");
    var url = root.dataset.url, items = [], active = -1, timer = null, asked = 0;
    var listId = "unit-picker-" + (++seq);
    list.id = listId;
    input.setAttribute("aria-controls", listId);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(i) {
      var opts = list.children;
      for (var k = 0; k < opts.length; k++) opts[k].setAttribute("aria-selected", k === i ? "true" : "false");
      active = i;
      if (i >= 0 && opts[i]) {
        input.setAttribute("aria-activedescendant", opts[i].id);
        opts[i].scrollIntoView({block: "nearest"});
      }
    }
    function choose(i) {
      var u = items[i];
      if (!u) return;
      input.value = u.name;
      hidden.value = u.id;
      input.title = u.path ? u.path + " › " + u.name : u.name;
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }
    function show(data) {
      items = data.items || [];
      list.textContent = "";
      items.forEach(function (u, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = u.name;
        li.appendChild(name);
        if (u.path || u.kind) {
          var where = document.createElement("span");
          where.className = "where";
          where.textContent = [u.path, u.kind].filter(Boolean).join(" · ");
          li.appendChild(where);
        }
        // pointerdown, not click: it comes before the input loses focus (and the list closes).
        li.addEventListener("pointerdown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = root.dataset.empty || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(items.length ? 0 : -1);
    }
    function ask() {
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(input.value.trim()), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {items: []}; })
        .then(function (data) { if (mine === asked && document.activeElement === input) show(data); })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      hidden.value = "";
      input.title = "";
      items = [];  // the list shown is for the old text: Enter must not pick from it
      close();
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("focus", function () { if (!input.value.trim() || !hidden.value) ask(); });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { ask(); return; }
        var n = items.length;
        if (n) mark(e.key === "ArrowDown" ? (active + 1) % n : (active - 1 + n) % n);
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        choose(active);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
  }

  function all() { document.querySelectorAll("[data-unit-picker]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  document.addEventListener("htmx:afterSwap", all);
})();
