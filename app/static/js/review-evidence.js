/* Hustings review page: the article marks the evidence of the question in hand only.
 *
 * Each reviewed question lists the paragraphs of its evidence (data-evidence, anchors). When
 * the student turns to a question (a click in it, the keyboard focus in it, or a link to it),
 * those paragraphs are marked in the article and a line above the article says whose evidence
 * it is; the other questions' evidence is not marked. Without this script the evidence links
 * still lead to their paragraph (marked by :target).
 */
(function () {
  "use strict";

  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var note = document.getElementById("evidence-note");
  var questions = $all(".question.review[data-evidence]");
  if (!note || !questions.length) { return; }
  var current = null;

  function show(section) {
    if (section === current) { return; }
    current = section;
    $all(".para.evidence-hl").forEach(function (p) {
      p.classList.remove("evidence-hl");
      var tag = p.querySelector(".evidence-tag");
      if (tag) { tag.remove(); }
    });
    $all(".question.review.is-current").forEach(function (q) { q.classList.remove("is-current"); });
    if (!section) { note.textContent = ""; return; }
    section.classList.add("is-current");
    var labels = [];
    section.dataset.evidence.split(" ").forEach(function (anchor) {
      var para = document.getElementById(anchor);
      if (!para) { return; }
      para.classList.add("evidence-hl");
      var tag = document.createElement("span");
      tag.className = "visually-hidden evidence-tag";
      tag.textContent = "(evidence for question " + section.id.slice(1) + ") ";
      var num = para.querySelector(".pnum");
      para.insertBefore(tag, num ? num.nextSibling : para.firstChild);
      labels.push(anchor);
    });
    // The note names the paragraphs as links: one may be in the other article's tab.
    var links = $all(".evidence-links a", section);
    note.textContent = "Marked in the article: the evidence for question " + section.id.slice(1) +
      (links.length ? ": " : ".");
    links.forEach(function (a, i) {
      if (i) { note.appendChild(document.createTextNode(", ")); }
      note.appendChild(a.cloneNode(true));
    });
  }

  function fromEvent(event) {
    var section = event.target.closest && event.target.closest(".question.review");
    if (section && section.dataset.evidence) { show(section); }
  }
  document.addEventListener("focusin", fromEvent);
  document.addEventListener("click", fromEvent);

  function fromHash() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.matches(".question.review[data-evidence]")) { show(target); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
