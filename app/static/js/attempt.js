/* Hustings attempt page: autosave, timer, reading-pane links and evidence picking.
 *
 * The page works without this script (a normal form with a Save button). With it:
 * - every change is saved to the server (typing debounced ~800 ms, choices at once);
 * - each response carries its own sequence number and the server version it was based on, so
 *   neither an older tab nor a tab that made more edits offline can overwrite a later answer:
 *   the server answers 409 "stale" and we ask the student to reload;
 * - a save is reported "Saved" only once the server acknowledged it; failed saves are kept in
 *   localStorage (under the user's id, removed at logout by session.js) and retried with backoff
 *   (and when the browser comes back online or the tab gets focus again);
 * - when the session has ended (401), every unsent answer is kept and the student is asked to
 *   log in again in another tab; the answers are sent once the session is back;
 * - the timer counts down from the server's deadline, is announced politely at 10, 5 and 1
 *   minutes, and submits the attempt at zero (the server finalises it anyway).
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 800;
  var MAX_BACKOFF_MS = 30000;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function csrfToken() {
    var input = $("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function hhmm(date) {  // "14:05 CET": the zone named, like every other time (times.js)
    try {
      return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" }).format(date);
    } catch (e) {
      return String(date.getHours()).padStart(2, "0") + ":" + String(date.getMinutes()).padStart(2, "0");
    }
  }

  /* ---------------- reading pane: "show paragraph" links and article tabs ---------------- */

  function showParagraph(anchor) {
    var el = document.getElementById(anchor);
    if (!el) { return false; }
    var article = el.closest(".source");
    if (article && article.getAttribute("role") === "tabpanel") { selectTab(article.id.slice(7)); }
    $all(".para.flash-hl").forEach(function (p) { p.classList.remove("flash-hl"); });
    el.classList.add("flash-hl");
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.show-para");
    if (link && showParagraph(link.dataset.target)) {
      event.preventDefault();
      if (history.replaceState) { history.replaceState(null, "", "#" + link.dataset.target); }
    }
  });

  var tablist = $(".source-tabs");
  function selectTab(slug) {
    if (!tablist) { return; }
    $all("[role=tab]", tablist).forEach(function (tab) {
      var on = tab.id === "tab-" + slug;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (panel) { panel.hidden = !on; }
    });
  }
  if (tablist) {
    tablist.hidden = false;
    var tabs = $all("[role=tab]", tablist);
    selectTab(tabs[0].id.slice(4));
    tablist.addEventListener("click", function (event) {
      var tab = event.target.closest("[role=tab]");
      if (tab) { selectTab(tab.id.slice(4)); }
    });
    tablist.addEventListener("keydown", function (event) {
      var i = tabs.indexOf(document.activeElement);
      if (i < 0) { return; }
      var next = null;
      if (event.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
      if (event.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
      if (event.key === "Home") { next = tabs[0]; }
      if (event.key === "End") { next = tabs[tabs.length - 1]; }
      if (next) { event.preventDefault(); selectTab(next.id.slice(4)); next.focus(); }
    });
  }
  if (location.hash && document.getElementById(location.hash.slice(1))) {
    var target = document.getElementById(location.hash.slice(1));
    if (target.classList.contains("para")) { showParagraph(location.hash.slice(1)); }
  }

  /* ---------------- the timer (quiz and submit pages) ---------------- */

  var timer = $("#timer");
  var timerForm = $("#timer-submit-form");
  var form = $("#attempt-form");
  var flushBeforeSubmit = null; // set by the autosave part when present

  function submitByTimer() {
    var announce = $("#timer-announce");
    if (announce) { announce.textContent = "Time is up. Your answers are being submitted."; }
    var wait = flushBeforeSubmit ? flushBeforeSubmit(5000) : Promise.resolve();
    wait.then(function () {
      if (timerForm) { timerForm.submit(); }
    });
  }

  if (timer) {
    var endAt = Date.now() + Number(timer.dataset.secondsLeft) * 1000;
    var text = $("#timer-text");
    var announcer = $("#timer-announce");
    var announced = {};
    var fired = false;
    var tick = function () {
      var left = Math.max(0, Math.round((endAt - Date.now()) / 1000));
      var m = Math.floor(left / 60);
      var s = left % 60;
      text.textContent = m + ":" + String(s).padStart(2, "0");
      timer.classList.toggle("timer-low", left <= 300);
      [10, 5, 1].forEach(function (mins) {
        if (left <= mins * 60 && left > mins * 60 - 30 && !announced[mins]) {
          announced[mins] = true;
          announcer.textContent = mins + (mins === 1 ? " minute" : " minutes") + " left.";
        }
      });
      if (left === 0 && !fired) {
        fired = true;
        submitByTimer();
        return;
      }
      window.setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
    };
    tick();
  }

  if (!form) { return; }

  /* ---------------- autosave ---------------- */

  var attemptId = form.dataset.attempt;
  var saveBase = form.dataset.saveUrl;
  var tokenUrl = form.dataset.tokenUrl;
  var storeKey = "hustings-attempt-" + form.dataset.user + "-" + attemptId;
  // This page's id: the server accepts a save based on an older version only when the newer
  // version is this page's own (a save whose reply was lost).
  var pageId = (function () {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  })();
  var status = $("#save-status");
  var fieldsets = {};
  var seqs = {};
  var bases = {};     // position -> the server's version this page's answer is based on
  var pending = {};   // position -> {value, seq, base, page}: not yet acknowledged by the server
  var inflight = {};  // position -> seq being sent
  var timers = {};
  var failures = 0;
  var retryTimer = null;
  var lastSaved = null;
  var stopped = false;
  var loggedOut = false;

  $all("fieldset.question", form).forEach(function (fs) {
    var pos = fs.dataset.position;
    fieldsets[pos] = fs;
    seqs[pos] = Number(fs.dataset.seq) || 0;
    bases[pos] = seqs[pos];
  });

  function setStatus(kind, message) {
    status.dataset.state = kind;
    if (status.textContent !== message) { status.textContent = message; }
  }

  function refreshStatus() {
    if (stopped) { return; }
    // Typing not yet sent counts as unsaved too: "Saved" only ever means acknowledged.
    if (Object.keys(pending).length === 0 && Object.keys(timers).length === 0) {
      if (lastSaved) { setStatus("saved", "Saved " + hhmm(lastSaved)); }
      return;
    }
    if (loggedOut) { setStatus("error", "Not saved — you are logged out. Log in again in another tab; your answers are kept here."); }
    else if (failures > 0) { setStatus("error", "Not saved — retrying"); }
    else { setStatus("saving", "Saving…"); }
  }

  function persist() {
    try {
      if (Object.keys(pending).length) { localStorage.setItem(storeKey, JSON.stringify(pending)); }
      else { localStorage.removeItem(storeKey); }
    } catch (e) { /* storage full or disabled: the retry queue still lives in memory */ }
  }

  // Each question type reads and applies its own value (js/question_types/<type>.js).
  function kindOf(fs) {
    var registry = window.HustingsQuestionTypes;
    return registry ? registry.get(fs.dataset.type) : null;
  }

  function readValue(fs) {
    var kind = kindOf(fs);
    return kind ? kind.read(fs, "q" + fs.dataset.position) : null;
  }

  function applyValue(fs, value) {
    var kind = kindOf(fs);
    if (kind) { kind.apply(fs, "q" + fs.dataset.position, value); }
    afterChange(fs);
  }

  function questionMessage(fs, message) {
    if (!fs) { return; }
    var el = $(".q-status", fs);
    if (el) { el.textContent = message || ""; el.classList.toggle("field-error", !!message); }
  }

  function afterChange(fs) {
    var answered = false;
    try { var v = readValue(fs); answered = v !== null; } catch (e) { answered = true; }
    var mark = $(".answered-mark", fs);
    if (mark) {
      mark.dataset.answered = answered ? "true" : "false";
      mark.textContent = answered ? "Answered" : "Not answered";
    }
    var count = $all(".answered-mark", form).filter(function (m) { return m.dataset.answered === "true"; }).length;
    var counter = $("#answered-count");
    if (counter) {
      var base = Number(counter.dataset.base || (Number(counter.textContent) - count0));
      counter.dataset.base = String(base);
      counter.textContent = String(base + count);
    }
    var wc = $(".word-count .wc", fs);
    if (wc) {
      var textarea = $("textarea", fs);
      var words = textarea.value.trim() ? textarea.value.trim().split(/\s+/).length : 0;
      wc.textContent = String(words);
    }
    syncPicks(fs);
  }
  // answered questions on other pages are counted by the server in the initial number
  var count0 = $all(".answered-mark", form).filter(function (m) { return m.dataset.answered === "true"; }).length;

  function queueSave(pos) {
    if (stopped) { return; }
    var fs = fieldsets[pos];
    var value;
    try { value = readValue(fs); questionMessage(fs, ""); }
    catch (e) { questionMessage(fs, "Not saved: " + e.message); return; }
    seqs[pos] += 1;
    var hidden = $("input[name='seq-" + pos + "']", form);
    if (hidden) { hidden.value = String(seqs[pos]); }
    pending[pos] = { value: value, seq: seqs[pos], base: bases[pos], page: pageId };
    persist();
    refreshStatus();
    send(pos);
  }

  function scheduleRetry() {
    if (retryTimer || stopped) { return; }
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, Math.min(failures, 5)));
    retryTimer = window.setTimeout(function () { retryTimer = null; flushAll(); }, delay);
  }

  function flushAll() {
    Object.keys(pending).forEach(function (pos) { send(pos); });
  }

  var loginNotice = null;
  function showLoggedOut(data) {
    loggedOut = true;
    if (loginNotice) { return; }
    loginNotice = document.createElement("div");
    loginNotice.className = "notice notice-stop";
    loginNotice.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = data.message || "You are logged out. Log in again in another tab; your answers are kept here.";
    loginNotice.appendChild(p);
    var link = document.createElement("a");
    link.href = data.login_url || "/login";
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "Log in again (opens a new tab)";
    loginNotice.appendChild(link);
    form.parentNode.insertBefore(loginNotice, form);
  }
  function backIn() {
    loggedOut = false;
    if (loginNotice) { loginNotice.remove(); loginNotice = null; }
  }

  function send(pos) {
    var entry = pending[pos];
    if (!entry || entry.draft || inflight[pos] || stopped) { return; }
    inflight[pos] = entry.seq;
    var mine = entry.page === pageId || !entry.page;
    fetch(saveBase + pos, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({
        value: entry.value, seq: entry.seq,
        base: mine ? Math.min(bases[pos] || 0, entry.seq - 1) : entry.base,
        page: entry.page || pageId
      })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { resp: resp, data: data }; });
    }).then(function (r) {
      delete inflight[pos];
      if (r.resp.ok && !r.resp.redirected && typeof r.data.seq === "number") {
        failures = 0;
        backIn();
        if (r.data.seq > (bases[pos] || 0)) { bases[pos] = r.data.seq; }  // this page shows it now
        lastSaved = r.data.saved_at ? new Date(r.data.saved_at) : new Date();
        if (pending[pos] && pending[pos].seq <= r.data.seq) { delete pending[pos]; }
        persist();
      } else if (r.resp.status === 409 && r.data.error === "stale" && entry.restored) {
        // An answer kept from an earlier visit that the server has since superseded.
        if (pending[pos] === entry) { delete pending[pos]; }
        persist();
      } else if (r.resp.status === 409) {
        stop(r.data.error === "stale" ? "stale" : "closed", r.data);
        return;
      } else if (r.resp.status === 401) {
        // The session ended (logout elsewhere, expiry, new key): keep every answer, ask the
        // student to log in again in another tab, and send them once the session is back.
        failures += 1;
        showLoggedOut(r.data);
        scheduleRetry();
      } else if (r.resp.status === 400 && r.data.reason === "csrf") {
        // Logged in again in another tab: the new session has a new token. Fetch it and go on.
        failures += 1;
        renewToken().then(function () { failures = Math.min(failures, 1); retryNow(); });
      } else if (r.resp.status >= 400 && r.resp.status < 500 && r.resp.status !== 408 && r.resp.status !== 429) {
        // The server will never accept this value: say so and stop retrying it.
        if (pending[pos] === entry) { delete pending[pos]; }
        persist();
        questionMessage(fieldsets[pos], "Not saved: " + (r.data.message || "this answer was refused."));
      } else {
        // Server busy, restarting or unreachable: keep the answer and try again later.
        failures += 1;
        scheduleRetry();
      }
      refreshStatus();
      if (pending[pos] && !inflight[pos] && failures === 0) { send(pos); }
    }).catch(function () {
      delete inflight[pos];
      failures += 1;
      refreshStatus();
      scheduleRetry();
    });
  }

  var renewing = null;
  function renewToken() {
    if (renewing) { return renewing; }
    renewing = fetch(tokenUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (resp.ok && data.csrf_token) {
            $all("input[name=csrf_token]").forEach(function (input) { input.value = data.csrf_token; });
          } else if (resp.status === 401) {
            showLoggedOut(data);
            refreshStatus();
          }
        });
      })
      .catch(function () { /* unreachable: the retry goes on */ })
      .then(function () { renewing = null; });
    return renewing;
  }

  function stop(kind, data) {
    stopped = true;
    var box = document.createElement("div");
    box.className = "notice notice-stop";
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = data.message || "This page is out of date.";
    box.appendChild(p);
    if (kind === "stale") {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Reload the page";
      button.addEventListener("click", function () { location.reload(); });
      box.appendChild(button);
      setStatus("error", "Not saved — this page is out of date");
    } else {
      pending = {};
      persist();
      var link = document.createElement("a");
      link.href = data.result_url || form.dataset.resultUrl;
      link.textContent = "See your submitted attempt";
      box.appendChild(link);
      setStatus("error", "Not saved — the attempt is closed");
    }
    form.parentNode.insertBefore(box, form);
  }

  function flushAndWait(limitMs) {
    Object.keys(timers).forEach(function (pos) { window.clearTimeout(timers[pos]); delete timers[pos]; queueSave(pos); });
    flushAll();
    var started = Date.now();
    return new Promise(function (resolve) {
      (function check() {
        if (Object.keys(pending).length === 0 || Date.now() - started > limitMs || stopped) { resolve(); return; }
        window.setTimeout(check, 100);
      })();
    });
  }
  flushBeforeSubmit = flushAndWait;
  // For session.js: send what can be sent before logging out (resolves to the number left
  // unsent), then forget the rest.
  window.hustingsSendAnswers = function (limitMs) {
    return flushAndWait(limitMs).then(function () { return Object.keys(pending).length; });
  };
  window.hustingsForgetAnswers = function () {
    stopped = true;
    pending = {};
    persist();
  };

  function isTyping(el) { return el.matches("textarea, input[type=text]"); }

  // Typing is saved after a pause; choices (radios, boxes, selects) at once, on "change" only,
  // so that one click is one save.
  form.addEventListener("input", function (event) {
    var fs = event.target.closest("fieldset.question");
    if (!fs || !event.target.name || !isTyping(event.target)) { return; }
    var pos = fs.dataset.position;
    afterChange(fs);
    window.clearTimeout(timers[pos]);
    timers[pos] = window.setTimeout(function () { delete timers[pos]; queueSave(pos); }, DEBOUNCE_MS);
    // Keep the draft in the browser at once, so closing the tab mid-word loses nothing.
    try {
      if (!inflight[pos] || !pending[pos] || pending[pos].draft) {
        pending[pos] = { value: readValue(fs), seq: seqs[pos] + 1, draft: true };
        persist();
      }
    } catch (e) { /* unreadable answer: nothing to keep */ }
    refreshStatus();
  });
  form.addEventListener("change", function (event) {
    var fs = event.target.closest("fieldset.question");
    if (!fs || !event.target.name) { return; }
    var pos = fs.dataset.position;
    if (isTyping(event.target)) {
      if (timers[pos]) { window.clearTimeout(timers[pos]); delete timers[pos]; queueSave(pos); }
      return;
    }
    afterChange(fs);
    queueSave(pos);
  });

  // Page buttons still post the form (the no-JS path), after queued saves have gone out, so
  // the post sees the answers already saved and does not race them.
  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    flushAndWait(4000).then(function () {
      submitting = true;
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = submitter.name;
        hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      form.submit();
    });
  });

  window.addEventListener("online", function () { failures = Math.min(failures, 1); flushAll(); });
  // Back from logging in again in another tab: send at once rather than at the next retry.
  function retryNow() {
    if (failures > 0 && !document.hidden) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      flushAll();
    }
  }
  window.addEventListener("focus", retryNow);
  document.addEventListener("visibilitychange", retryNow);
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length && !submitting && !stopped) { event.preventDefault(); event.returnValue = ""; }
  });

  // Answers typed while the server could not be reached survive closing the tab: restore the
  // ones newer than what the server has and send them again.
  try {
    var stored = JSON.parse(localStorage.getItem(storeKey) || "{}");
    Object.keys(stored).forEach(function (pos) {
      var entry = stored[pos];
      if (!entry || typeof entry.seq !== "number") { return; }
      entry.restored = true;
      delete entry.draft;
      if (!fieldsets[pos]) { pending[pos] = entry; return; } // another page of the quiz
      if (entry && entry.seq > seqs[pos]) {
        seqs[pos] = entry.seq;
        var hidden = $("input[name='seq-" + pos + "']", form);
        if (hidden) { hidden.value = String(entry.seq); }
        applyValue(fieldsets[pos], entry.value);
        pending[pos] = entry;
      }
    });
    persist();
    if (Object.keys(pending).length) { refreshStatus(); flushAll(); }
  } catch (e) { /* unreadable storage: nothing to restore */ }

  /* ---------------- evidence picking in the reading pane ---------------- */

  var banner = $("#pick-banner");
  var activePick = null;

  function clearPicks() {
    $all(".pick", document).forEach(function (el) { el.remove(); });
    $all(".para.picking", document).forEach(function (el) { el.classList.remove("picking"); });
  }

  function startPicking(pos) {
    var fs = fieldsets[pos];
    clearPicks();
    activePick = pos;
    var slug = fs.dataset.source;
    var sentences = fs.dataset.select === "sentence";
    var article = document.getElementById("source-" + slug);
    if (!article) { return; }
    if (article.getAttribute("role") === "tabpanel") { selectTab(slug); }
    var first = null;
    $all("input[name='q" + pos + "']", fs).forEach(function (box) {
      var ref = box.value;
      var target = $("[data-ref='" + ref + "']", article);
      if (!target) { return; }
      var label = document.createElement("label");
      label.className = "pick";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.checked = box.checked;
      input.dataset.for = box.id;
      var m = ref.match(/:p(\d+)(?:\.s(\d+))?$/);
      var span = document.createElement("span");
      span.textContent = m[2] ? "Select sentence " + m[2] + " of paragraph " + m[1] : "Select paragraph " + m[1];
      span.className = "pick-text";
      label.appendChild(input);
      label.appendChild(span);
      input.setAttribute("aria-label", span.textContent + " for question " + pos);
      input.addEventListener("change", function () {
        box.checked = input.checked;
        box.dispatchEvent(new Event("change", { bubbles: true }));
      });
      if (sentences) { target.insertBefore(label, target.firstChild); }
      else { target.insertBefore(label, target.querySelector(".pnum").nextSibling); }
      target.closest(".para").classList.add("picking");
      if (!first) { first = input; }
    });
    $("#pick-banner-text").textContent = "Selecting evidence for question " + pos + ". Tick the " +
      (sentences ? "sentences" : "paragraphs") + " in the article, then choose “Done selecting”.";
    banner.hidden = false;
    banner.scrollIntoView({ block: "nearest" });
    if (first) { first.focus(); }
  }

  function syncPicks(fs) {
    if (activePick !== fs.dataset.position) { return; }
    $all(".pick input", document).forEach(function (input) {
      var box = document.getElementById(input.dataset.for);
      if (box) { input.checked = box.checked; }
    });
  }

  function stopPicking() {
    var pos = activePick;
    activePick = null;
    clearPicks();
    banner.hidden = true;
    var button = pos && $(".pick-in-article", fieldsets[pos]);
    if (button) { button.focus(); }
  }

  $all(".clear-answer", form).forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var fs = button.closest("fieldset.question");
      var radios = $all("input[type=radio]", fs);
      radios.forEach(function (r) { r.checked = false; });
      radios[0].dispatchEvent(new Event("change", { bubbles: true }));
      radios[0].focus();
    });
  });

  $all(".pick-in-article", form).forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { startPicking(button.dataset.question); });
  });
  if (banner) { $("#pick-done").addEventListener("click", stopPicking); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && activePick) { stopPicking(); }
  });
})();
