// The review of an imported article. The paragraph buttons (delete, join, split, put back) are
// plain submit buttons that work without this script; it only keeps them honest while the
// instructor edits the text box: their numbers refer to the preview, so once the text changes
// they are disabled until "Preview again" renumbers the paragraphs. The server refuses a stale
// step anyway (it compares a digest of the previewed text).
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  var text = document.getElementById("paragraphs");
  var preview = document.querySelector(".source-preview");
  if (!form || !text || !preview) {
    return;
  }
  var original = text.value;
  var note = document.createElement("p");
  note.className = "flash flash-warning stale-note";
  note.setAttribute("role", "status");
  note.hidden = true;
  note.textContent =
    "You edited the text: press “Preview again” to renumber the paragraphs before using " +
    "their buttons.";
  preview.insertBefore(note, preview.firstChild.nextSibling);

  function steps() {
    return document.querySelectorAll('button[name="step"]');
  }

  text.addEventListener("input", function () {
    var stale = text.value !== original;
    note.hidden = !stale;
    preview.classList.toggle("stale", stale);
    steps().forEach(function (button) {
      button.disabled = stale;
    });
  });

  // Leaving the page with an edited, unsaved text asks first.
  var submitting = false;
  form.addEventListener("submit", function () {
    submitting = true;
  });
  document.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && text.value !== original) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
