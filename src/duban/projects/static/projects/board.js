// The board: drag a card to another column to move the project's stage (services.project_move
// on the server, with CSRF). 开工 and 竣工投产 ask for the date, a step back for the reason; a
// refusal shows the engine's words. Each card's "移动" button (phones, keyboards) opens the same
// dialog with the stage to choose: one dialog for the board, not a form per card.
(function () {
  const board = document.getElementById("board");
  if (!board) return;
  const words = document.getElementById("board-words").dataset;
  const order = Array.from(board.querySelectorAll(".column")).map((c) => c.dataset.stage);
  const dialog = document.getElementById("move-dialog");
  const form = document.getElementById("move-form");
  const error = document.getElementById("move-error");
  let dragged = null;

  function flash(text, ok) {
    let box = document.getElementById("board-flash");
    if (!box) {
      box = document.createElement("ul");
      box.id = "board-flash";
      box.className = "messages";
      board.parentNode.insertBefore(box, board);
    }
    box.innerHTML = "";
    const li = document.createElement("li");
    li.className = ok ? "success" : "error";
    li.textContent = text;
    box.appendChild(li);
  }

  async function send(card, stage, date, reason) {
    const body = new FormData();
    body.append("stage", stage);
    body.append("version", card.dataset.version);
    if (date) body.append("date", date);
    if (reason) body.append("reason", reason);
    card.classList.add("busy");
    try {
      const r = await fetch(card.dataset.url, { method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": board.dataset.csrf, Accept: "application/json" } });
      const data = await r.json().catch(() => ({ ok: false, error: words.failed + " (" + r.status + ")" }));
      if (!r.ok || !data.ok) return data.error || words.failed;
      const column = board.querySelector('.column[data-stage="' + data.stage + '"] .cards');
      column.querySelector(".empty")?.remove();
      column.prepend(card);
      card.dataset.stage = data.stage;
      card.dataset.version = data.version;
      card.className = "pcard " + data.light;
      const light = card.querySelector(".light");
      if (light) { light.className = "light " + data.light; light.lastChild.textContent = data.light_label; }
      flash("“" + card.dataset.name + "” " + words.to + " " + data.stage_label, true);
      return "";
    } finally {
      card.classList.remove("busy");
    }
  }

  function needs(card, stage) {
    const back = order.indexOf(stage) < order.indexOf(card.dataset.stage);
    return { back, date: !back && (stage === "started" || stage === "completed") };
  }

  // stage: the column dropped on, or null to choose it in the dialog (the "移动" button).
  function ask(card, stage, label) {
    const choose = stage === null;
    if (!choose) {
      const n = needs(card, stage);
      if (!n.date && !n.back) {
        send(card, stage, "", "").then((err) => { if (err) flash(err, false); });
        return;
      }
    }
    const pick = form.stage;
    const stageRow = document.getElementById("move-stage-row");
    const dateRow = document.getElementById("move-date-row");
    stageRow.hidden = !choose;
    if (choose) {
      Array.from(pick.options).forEach((o) => { o.hidden = o.disabled = o.value === card.dataset.stage; });
      pick.value = Array.from(pick.options).find((o) => !o.disabled).value;
    }
    const target = () => (choose ? pick.value : stage);
    const show = () => {
      const n = needs(card, target());
      dateRow.hidden = !n.date;
      const name = choose ? pick.options[pick.selectedIndex].text : label;
      document.getElementById("move-title").textContent = "“" + card.dataset.name + "” → " + name;
    };
    pick.onchange = show;
    show();
    form.reason.value = "";
    error.hidden = true;
    dialog.returnValue = "";
    dialog.onclose = null;
    form.onsubmit = async (ev) => {
      if (ev.submitter && ev.submitter.value === "cancel") return;
      ev.preventDefault();
      const to = target();
      const n = needs(card, to);
      if (n.date && !form.date.value) { error.textContent = words.needsDate; error.hidden = false; return; }
      if (n.back && !form.reason.value.trim()) { error.textContent = words.needsReason; error.hidden = false; return; }
      const err = await send(card, to, n.date ? form.date.value : "", form.reason.value.trim());
      if (err) { error.textContent = err; error.hidden = false; return; }
      dialog.close();
    };
    dialog.showModal();
  }

  board.addEventListener("click", (ev) => {
    const button = ev.target.closest && ev.target.closest("[data-move]");
    if (button) ask(button.closest(".pcard"), null, "");
  });
  board.addEventListener("dragstart", (ev) => {
    const card = ev.target.closest && ev.target.closest(".pcard");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".column.over").forEach((c) => c.classList.remove("over"));
  });
  board.querySelectorAll(".column").forEach((column) => {
    column.addEventListener("dragover", (ev) => { ev.preventDefault(); column.classList.add("over"); });
    column.addEventListener("dragleave", () => column.classList.remove("over"));
    column.addEventListener("drop", (ev) => {
      ev.preventDefault();
      column.classList.remove("over");
      const card = dragged || board.querySelector('.pcard[data-id="' + ev.dataTransfer.getData("text/plain") + '"]');
      dragged = null;
      if (!card || card.dataset.stage === column.dataset.stage) return;
      ask(card, column.dataset.stage, column.getAttribute("aria-label"));
    });
  });
})();
