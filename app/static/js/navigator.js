/* Hustings question navigator and "flag for review" (the quiz page).
 *
 * Without this script the navigator is a list of links and form buttons, and "Flag for review"
 * is a button of the quiz form (the answers of the page are saved on the way). With it:
 * - a flag is sent in the background and kept on the server with the attempt; the button and
 *   the navigator show it once the server acknowledged it;
 * - the navigator follows the answers as the student gives them (it watches the "Answered"
 *   marks that attempt.js keeps);
 * - jumping to a question of this page moves the focus to it; on a phone the navigator folds
 *   away after the jump.
 */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var form = $("#attempt-form");
  var panel = $("#navigator");
  if (!form || !panel) { return; }
  var flagUrl = form.dataset.flagUrl;
  var status = $("#nav-status");
  var narrow = window.matchMedia("(max-width: 599px)");

  function csrfToken() {
    var input = $("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function say(message, error) {
    if (!status) { return; }
    status.textContent = message || "";
    if (error) { status.dataset.error = "true"; } else { delete status.dataset.error; }
  }

  function navItem(pos) { return $(".nav-q[data-position='" + pos + "']", panel); }

  function paint(pos, answered, flagged) {
    var item = navItem(pos);
    if (!item) { return; }
    if (answered === null) { answered = item.classList.contains("is-answered"); }
    if (flagged === null) { flagged = item.classList.contains("is-flagged"); }
    item.classList.toggle("is-answered", answered);
    item.classList.toggle("is-flagged", flagged);
    var state = $(".nav-state", item);
    if (state) {
      state.textContent = (answered ? ", answered" : ", not answered") + (flagged ? ", flagged for review" : "");
    }
    var count = $("#nav-flagged-count");
    if (count) { count.textContent = String($all(".nav-q.is-flagged", panel).length); }
  }

  /* ---------------- answered marks: follow attempt.js ---------------- */

  // "Clear answer" only where there is an answer to clear (no extra Tab stop otherwise).
  function clearButton(fs, answered) {
    var button = $(".clear-answer", fs);
    if (button) { button.hidden = !answered; }
  }

  $all("fieldset.question", form).forEach(function (fs) {
    var mark = $(".answered-mark", fs);
    if (!mark) { return; }
    clearButton(fs, mark.dataset.answered === "true");
    new MutationObserver(function () {
      var answered = mark.dataset.answered === "true";
      paint(fs.dataset.position, answered, null);
      clearButton(fs, answered);
    }).observe(mark, { attributes: true, attributeFilter: ["data-answered"] });
  });

  /* ---------------- flags, kept on the server ---------------- */

  var busy = {};
  function sendFlag(button) {
    var pos = button.dataset.position;
    if (busy[pos]) { return; }
    var wanted = button.getAttribute("aria-pressed") !== "true";
    busy[pos] = true;
    button.setAttribute("aria-busy", "true");
    fetch(flagUrl + pos, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ flagged: wanted })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { resp: resp, data: data }; });
    }).then(function (r) {
      if (r.resp.ok && typeof r.data.flagged === "boolean") {
        button.setAttribute("aria-pressed", r.data.flagged ? "true" : "false");
        paint(pos, null, r.data.flagged);
        say(r.data.flagged ? "Question " + pos + " flagged for review." : "Flag removed from question " + pos + ".");
      } else if (r.resp.status === 409 && r.data.result_url) {
        say(r.data.message || "This attempt is closed.", true);
      } else {
        say("The flag was not saved: " + (r.data.message || "try again."), true);
      }
    }).catch(function () {
      say("The flag was not saved: the server could not be reached. Try again.", true);
    }).then(function () {
      delete busy[pos];
      button.removeAttribute("aria-busy");
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest(".flag-toggle");
    if (!button || !flagUrl) { return; }
    event.preventDefault();
    sendFlag(button);
  });

  /* ---------------- jumping to a question ---------------- */

  panel.addEventListener("click", function (event) {
    var link = event.target.closest("a.nav-q");
    if (!link) { return; }
    var fs = document.getElementById("q" + link.dataset.position);
    if (!fs) { return; }
    event.preventDefault();
    if (document.body.dataset.view === "article") {
      var back = $("[data-view-button=questions]");
      if (back) { back.click(); }
    }
    if (narrow.matches) { panel.open = false; }
    fs.scrollIntoView({ block: "start" });
    var first = $("input:not([type=hidden]), select, textarea, button", fs);
    if (first) { first.focus({ preventScroll: true }); }
    if (history.replaceState) { history.replaceState(null, "", "#q" + link.dataset.position); }
  });

  // A phone starts with the navigator folded (it lives in the sticky status bar).
  if (narrow.matches) { panel.open = false; }

  // The status bar is sticky: the article pane and a question jumped to sit below it.
  var bar = $(".status-bar");
  if (bar && window.ResizeObserver) {
    new ResizeObserver(function () {
      document.documentElement.style.setProperty("--status-bar-height", bar.offsetHeight + "px");
    }).observe(bar);
  }
})();
