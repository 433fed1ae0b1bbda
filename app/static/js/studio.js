// The studio's question editor: rows added on demand, and a live check and preview as the
// instructor types. Without JavaScript the form still works: blank rows are rendered and
// "Check and preview" gives the same messages and preview from the server.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;

  // --- rows ------------------------------------------------------------------------------
  function nextIndex(fieldset) {
    var max = -1;
    fieldset.querySelectorAll(":scope > .editor-row").forEach(function (row) {
      var n = parseInt(row.getAttribute("data-row"), 10);
      if (!isNaN(n) && n > max) max = n;
    });
    return max + 1;
  }

  function addRow(fieldset) {
    var template = fieldset.querySelector(":scope > template[data-row-template]");
    if (!template) return;
    var placeholder = fieldset.getAttribute("data-placeholder") || "__i__";
    var index = String(nextIndex(fieldset));
    var html = template.innerHTML.split(placeholder).join(index);
    template.insertAdjacentHTML("beforebegin", html);
    var added = template.previousElementSibling;
    added.querySelectorAll("[data-add-row]").forEach(function (b) { b.hidden = false; });
    var first = added.querySelector("input, textarea, select");
    if (first) first.focus();
    schedule();
  }

  form.querySelectorAll("[data-add-row]").forEach(function (b) { b.hidden = false; });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    event.preventDefault();
    addRow(button.closest("fieldset[data-rows]"));
  });

  // --- ticked passages -------------------------------------------------------------------
  function showPicked(picker) {
    var name = picker.getAttribute("data-picker");
    var refs = [];
    picker.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked').forEach(function (box) {
      refs.push(box.value);
    });
    var out = picker.querySelector("[data-picked-for]");
    if (out) out.textContent = refs.length ? "Ticked: " + refs.join(", ") : "Nothing ticked yet.";
  }
  form.addEventListener("change", function (event) {
    var picker = event.target.closest("[data-picker]");
    if (picker) showPicked(picker);
    // choosing paragraphs or sentences redraws the article's passages to pick (the hint says so)
    if (event.target.hasAttribute("data-redraw")) {
      var redraw = document.getElementById("retype");
      if (redraw) redraw.click();
    }
  });

  // --- live check and preview ------------------------------------------------------------
  var url = form.getAttribute("data-check-url");
  var status = document.getElementById("preview-status");
  var preview = document.getElementById("preview");
  var timer = null;
  var sent = 0;

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, 700);
  }

  function target(name) {
    // the field itself, else the row or list it belongs to (`options-2`, `options`)
    var parts = name.split("-");
    while (parts.length) {
      var id = "f-" + parts.join("-");
      var el = document.getElementById(id);
      if (el) return el.closest(".field, .editor-row, fieldset") || el;
      var row = form.querySelector('[id^="' + id + '-"]');
      if (row && row.closest(".editor-row")) return row.closest(".editor-row");
      parts.pop();
    }
    return null;
  }

  function showErrors(errors, other) {
    form.querySelectorAll(".field-error[data-field-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var unplaced = other.slice();
    Object.keys(errors).forEach(function (name) {
      var place = target(name);
      var text = errors[name].join(" · ");
      if (!place) { unplaced.push(name + ": " + text); return; }
      var small = document.createElement("small");
      small.className = "field-error";
      small.setAttribute("data-field-error", name);
      small.textContent = text;
      place.appendChild(small);
      var input = document.getElementById("f-" + name);
      if (input) input.setAttribute("aria-invalid", "true");
    });
    return unplaced;
  }

  function check() {
    var data = new FormData(form);
    data.set("action", "preview");
    var mine = ++sent;
    status.textContent = "Checking…";
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok && response.status !== 422) throw new Error(String(response.status));
      return response.json();
    }).then(function (result) {
      if (mine !== sent) return;
      var unplaced = showErrors(result.errors || {}, result.other || []);
      var count = Object.keys(result.errors || {}).length + (result.other || []).length;
      var words = [];
      if (count) words.push(count + (count === 1 ? " problem" : " problems") + " to fix before saving");
      else words.push("No problems: the preview below is what students will see.");
      unplaced.forEach(function (m) { words.push(m); });
      (result.warnings || []).forEach(function (w) { words.push("Warning " + w.code + ": " + w.message); });
      (result.stale || []).forEach(function (m) { words.push(m); });
      status.textContent = words.join(" · ");
      preview.innerHTML = result.preview;
    }).catch(function () {
      if (mine === sent) status.textContent = "The live preview is unavailable; use “Check and preview”.";
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.name && event.target.name !== "type") schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name && event.target.name !== "type") schedule();
  });
})();
