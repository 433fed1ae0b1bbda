// The library's source page, where the studio starts. Without this script the page works:
// "Show sentence numbers" is a link (?sentences=1) and each paragraph's "New question about
// paragraph N" button submits the bank/type form. With it:
//  - the link becomes a toggle button (aria-pressed) that shows or hides the numbers in place;
//  - selecting text in the article (mouse or keyboard) shows a bar, in the page's flow of focus
//    but never taking it, offering a new question about the sentences the selection covers.
(function () {
  "use strict";
  var article = document.getElementById("source-article");
  if (!article) {
    return;
  }
  var slug = article.getAttribute("data-source");

  // ------------------------------------------------------------------ sentence numbers
  var link = document.getElementById("sentence-toggle");
  if (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.id = "sentence-toggle";
    button.className = "secondary outline sentence-toggle";
    button.textContent = "Show sentence numbers";
    var shown = article.classList.contains("show-sentence-numbers");
    button.setAttribute("aria-pressed", shown ? "true" : "false");
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", on ? "true" : "false");
      article.classList.toggle("show-sentence-numbers", on);
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        if (on) {
          url.searchParams.set("sentences", "1");
        } else {
          url.searchParams.delete("sentences");
        }
        window.history.replaceState(window.history.state, "", url.toString());
      }
    });
    link.parentNode.replaceChild(button, link);
  }

  // ------------------------------------------------------------------ selection → new question
  var bar = document.getElementById("passage-bar");
  var barLink = document.getElementById("passage-bar-link");
  var barDetail = document.getElementById("passage-bar-detail");
  var form = document.getElementById("new-question-form");
  if (!bar || !barLink || !form) {
    return;
  }
  var bankSelect = form.querySelector("select[name=bank]");
  var typeSelect = form.querySelector("select[name=type]");
  var sentences = Array.prototype.slice.call(article.querySelectorAll(".sentence"));
  var current = []; // the sentence ids ("p4.s2") the selection covers

  // The part of `range` inside `span`, as text ("" when they do not overlap).
  function overlap(range, span) {
    var part = document.createRange();
    part.selectNodeContents(span);
    if (range.compareBoundaryPoints(Range.START_TO_START, part) > 0) {
      part.setStart(range.startContainer, range.startOffset);
    }
    if (range.compareBoundaryPoints(Range.END_TO_END, part) < 0) {
      part.setEnd(range.endContainer, range.endOffset);
    }
    return part.collapsed ? "" : part.toString().trim();
  }

  function coveredSentences(selection) {
    var ids = [];
    for (var r = 0; r < selection.rangeCount; r += 1) {
      var range = selection.getRangeAt(r);
      if (range.collapsed || !range.intersectsNode(article)) {
        continue;
      }
      sentences.forEach(function (span) {
        if (range.intersectsNode(span) && overlap(range, span) && ids.indexOf(span.id) < 0) {
          ids.push(span.id);
        }
      });
    }
    return ids;
  }

  function label(ids) {
    return ids.length === 1 ? ids[0] : ids[0] + "–" + ids[ids.length - 1];
  }

  function href(ids) {
    var params = new URLSearchParams();
    params.append("bank", bankSelect ? bankSelect.value : "");
    params.append("type", typeSelect ? typeSelect.value : "");
    ids.forEach(function (id) {
      params.append("ref", slug + ":" + id);
    });
    return bar.getAttribute("data-new-question") + "?" + params.toString();
  }

  function selectedText(select) {
    return select && select.selectedIndex >= 0 ? select.options[select.selectedIndex].text : "";
  }

  function render() {
    if (!current.length) {
      bar.hidden = true;
      return;
    }
    barLink.textContent = "New question about this passage (" + label(current) + ")";
    barLink.href = href(current);
    barDetail.textContent =
      current.length + " sentence" + (current.length === 1 ? "" : "s") + " · " +
      selectedText(typeSelect) + " in " + (bankSelect ? bankSelect.value : "");
    bar.hidden = false;
  }

  var pending = null;
  document.addEventListener("selectionchange", function () {
    if (pending) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      pending = null;
      var selection = window.getSelection();
      // A selection inside the bar itself (or a click on its link) keeps the passage chosen.
      if (selection && selection.anchorNode && bar.contains(selection.anchorNode)) {
        return;
      }
      var ids = selection ? coveredSentences(selection) : [];
      // Clicking elsewhere collapses the selection: keep the bar until another passage is chosen
      // only when focus went to the bar; otherwise it follows the selection.
      if (!ids.length && bar.contains(document.activeElement)) {
        return;
      }
      current = ids;
      render();
    }, 120);
  });
  [bankSelect, typeSelect].forEach(function (select) {
    if (select) {
      select.addEventListener("change", render);
    }
  });
})();
