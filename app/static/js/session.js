/* Hustings, every page: answers that attempt.js keeps in this browser (for saving when the
 * network or the session is back) belong to one user. They are removed when that user logs out
 * (after the open quiz page, if any, has sent what it could) and once their attempt is over,
 * so the next person on a shared computer cannot read them.
 */
(function () {
  "use strict";

  var form = document.getElementById("logout-form");
  var user = form ? form.dataset.user : null;
  var PREFIX = "hustings-attempt-";

  function keysToForget() {
    var out = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (!key || key.indexOf(PREFIX) !== 0) { continue; }
        var rest = key.slice(PREFIX.length);
        // this user's answers, and those kept under the older, per-attempt-only key
        if (rest.indexOf(user + "-") === 0 || /^\d+$/.test(rest)) { out.push(key); }
      }
    } catch (e) { /* storage disabled: nothing kept */ }
    return out;
  }

  function forgetAll() {
    keysToForget().forEach(function (key) {
      try { localStorage.removeItem(key); } catch (e) { /* nothing to do */ }
    });
  }

  var finished = document.querySelector("[data-finished-attempt]");
  if (finished && user) {
    try { localStorage.removeItem(PREFIX + user + "-" + finished.dataset.finishedAttempt); } catch (e) { /* none */ }
  }

  if (!form) { return; }
  var leaving = false;
  form.addEventListener("submit", function (event) {
    if (leaving) { return; }
    var send = window.hustingsSendAnswers; // set by attempt.js on a quiz page
    if (!send) { forgetAll(); return; }
    event.preventDefault();
    send(5000).then(function (unsent) {
      if (unsent > 0 && !window.confirm(
        unsent + (unsent === 1 ? " answer is" : " answers are") + " not saved yet. " +
        "If you log out now, " + (unsent === 1 ? "it is" : "they are") + " lost. Log out anyway?")) {
        return;
      }
      if (window.hustingsForgetAnswers) { window.hustingsForgetAnswers(); }
      forgetAll();
      leaving = true;
      form.submit();
    });
  });
})();
