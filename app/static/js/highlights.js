/* Hustings highlights: the student marks passages of the article while answering.
 *
 * The reading pane carries the attempt's highlights (data-highlights, from the server) and, on
 * the quiz page, the address that keeps new ones (data-highlight-url); the review page shows
 * them read-only. A highlight is a character range of one paragraph's words (its .ptext, the
 * evidence pick boxes left out), so it survives reloads and re-rendering; the server checks
 * every range and merges overlapping ones, and this script draws whatever list it returns.
 *
 * Select words in the article, then press "Highlight selection" (a selection over several
 * paragraphs gives one highlight in each). "Your highlights" lists them with a way to go to
 * each and to remove it, so none needs a mouse to find again. Never graded.
 */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var pane = $("#reading-pane");
  if (!pane || pane.dataset.highlights === undefined) { return; }
  var addUrl = pane.dataset.highlightUrl || null;
  var list = [];
  try { list = JSON.parse(pane.dataset.highlights) || []; } catch (e) { list = []; }

  function csrfToken() {
    var input = $("input[name=csrf_token]");
    return input ? input.value : "";
  }

  /* ---------------- text nodes of a paragraph's words ---------------- */

  function textNodes(ptext) {
    var walker = document.createTreeWalker(ptext, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentNode.closest(".pick") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var out = [];
    while (walker.nextNode()) { out.push(walker.currentNode); }
    return out;
  }

  function ptextOf(h) {
    var para = $(".para[data-source='" + CSS.escape(h.source) + "'][data-paragraph='" + Number(h.paragraph) + "']", pane);
    return para ? $(".ptext", para) : null;
  }

  /* ---------------- drawing ---------------- */

  function clearMarks() {
    var touched = [];
    $all("mark.hl", pane).forEach(function (mark) {
      var parent = mark.parentNode;
      while (mark.firstChild) { parent.insertBefore(mark.firstChild, mark); }
      parent.removeChild(mark);
      if (touched.indexOf(parent) < 0) { touched.push(parent); }
    });
    touched.forEach(function (node) { node.normalize(); });
  }

  function wrap(h) {
    var ptext = ptextOf(h);
    if (!ptext) { return; }
    var at = 0;
    var pieces = [];
    textNodes(ptext).forEach(function (node) {
      var len = node.data.length;
      var s = Math.max(h.start - at, 0);
      var e = Math.min(h.end - at, len);
      if (e > s) { pieces.push([node, s, e]); }
      at += len;
    });
    pieces.forEach(function (piece, i) {
      var node = piece[0];
      if (piece[2] < node.data.length) { node.splitText(piece[2]); }
      if (piece[1] > 0) { node = node.splitText(piece[1]); }
      var mark = document.createElement("mark");
      mark.className = "hl";
      mark.dataset.id = String(h.id);
      if (i === 0) { mark.title = "Your highlight"; }
      node.parentNode.insertBefore(mark, node);
      mark.appendChild(node);
    });
  }

  function excerpt(text) {
    text = String(text || "").replace(/\s+/g, " ").trim();
    return text.length > 90 ? text.slice(0, 87) + "…" : text;
  }

  var bar = null;
  var addButton = null;
  var countEl = null;
  var itemsEl = null;
  var say = null;

  function label(h) {
    var article = document.getElementById("source-" + h.source);
    var several = $all(".source", pane).length > 1;
    var title = article && several ? (($(".source-title", article) || {}).textContent || "") + ", " : "";
    return title + "paragraph " + h.paragraph;
  }

  function drawList() {
    if (!itemsEl) { return; }
    countEl.textContent = String(list.length);
    itemsEl.textContent = "";
    if (!list.length) {
      var none = document.createElement("li");
      none.className = "hint";
      none.textContent = addUrl ? "None yet. Select words in the article, then press “Highlight selection”." : "You highlighted nothing in this attempt.";
      itemsEl.appendChild(none);
      return;
    }
    list.forEach(function (h) {
      var li = document.createElement("li");
      var go = document.createElement("a");
      var para = ptextOf(h);
      go.href = para ? "#" + para.closest(".para").id : "#";
      go.className = "show-para";
      go.dataset.target = para ? para.closest(".para").id : "";
      go.textContent = "“" + excerpt(h.quote) + "”";
      var where = document.createElement("span");
      where.className = "hl-where";
      where.textContent = " (" + label(h) + ")";
      li.appendChild(go);
      li.appendChild(where);
      if (addUrl) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "hl-remove secondary outline";
        remove.dataset.id = String(h.id);
        remove.textContent = "Remove";
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " highlight “" + excerpt(h.quote) + "”";
        remove.appendChild(hidden);
        li.appendChild(remove);
      }
      itemsEl.appendChild(li);
    });
  }

  function draw() {
    clearMarks();
    list.forEach(wrap);
    drawList();
  }

  /* ---------------- the bar: add, list, remove ---------------- */

  function buildBar() {
    bar = document.createElement("div");
    bar.className = "hl-bar";
    if (addUrl) {
      addButton = document.createElement("button");
      addButton.type = "button";
      addButton.className = "hl-add";
      addButton.textContent = "Highlight selection";
      addButton.disabled = true;
      addButton.setAttribute("aria-describedby", "hl-help");
      bar.appendChild(addButton);
      var help = document.createElement("p");
      help.id = "hl-help";
      help.className = "hl-help";
      help.textContent = "Select words in the article to highlight them. Only you see your highlights; they are not marked.";
      bar.appendChild(help);
    }
    var details = document.createElement("details");
    details.className = "hl-list";
    var summary = document.createElement("summary");
    summary.appendChild(document.createTextNode("Your highlights ("));
    countEl = document.createElement("span");
    summary.appendChild(countEl);
    summary.appendChild(document.createTextNode(")"));
    details.appendChild(summary);
    itemsEl = document.createElement("ul");
    details.appendChild(itemsEl);
    if (addUrl) { details.appendChild(paragraphPicker()); }
    bar.appendChild(details);
    say = document.createElement("p");
    say.className = "hl-status";
    say.setAttribute("role", "status");
    bar.appendChild(say);
    // One sticky head for the pane: the evidence-picking banner, this bar and the article tabs
    // stay in reach together while the article scrolls.
    var head = document.createElement("div");
    head.className = "pane-head";
    pane.insertBefore(head, pane.firstChild);
    ["#pick-banner", "#evidence-note"].forEach(function (sel) {
      var el = $(sel, pane);
      if (el) { head.appendChild(el); }
    });
    head.appendChild(bar);
    var tabs = $(".source-tabs", pane);
    if (tabs) { head.appendChild(tabs); }
  }

  /* Without a mouse, selecting words in an article is hard: a whole paragraph can be
     highlighted from a list instead (keyboard and screen reader users). */
  var paraSelect = null;
  function paragraphPicker() {
    var box = document.createElement("div");
    box.className = "hl-para";
    paraSelect = document.createElement("select");
    paraSelect.id = "hl-para-select";
    var label = document.createElement("label");
    label.htmlFor = paraSelect.id;
    label.textContent = "Or highlight a whole paragraph";
    var several = $all(".source", pane).length > 1;
    $all(".source", pane).forEach(function (article) {
      var group = several ? document.createElement("optgroup") : paraSelect;
      if (several) {
        group.label = ($(".source-title", article) || {}).textContent || "";
        paraSelect.appendChild(group);
      }
      $all(".para[data-paragraph]", article).forEach(function (para) {
        var option = document.createElement("option");
        option.value = para.id;
        option.textContent = "¶" + para.dataset.paragraph + ": " + excerpt(textNodes($(".ptext", para)).map(function (n) { return n.data; }).join("")).slice(0, 60);
        group.appendChild(option);
      });
    });
    var go = document.createElement("button");
    go.type = "button";
    go.className = "secondary outline hl-para-add";
    go.textContent = "Highlight paragraph";
    go.addEventListener("click", function () {
      var para = document.getElementById(paraSelect.value);
      if (!para) { return; }
      var words = textNodes($(".ptext", para)).map(function (n) { return n.data; }).join("");
      var start = words.length - words.replace(/^\s+/, "").length;
      var end = words.replace(/\s+$/, "").length;
      if (end <= start) { return; }
      go.disabled = true;
      send("POST", addUrl, { ranges: [{ source: para.dataset.source, paragraph: Number(para.dataset.paragraph), start: start, end: end }] })
        .then(function (ok) {
          go.disabled = false;
          if (ok) { announce("Paragraph " + para.dataset.paragraph + " highlighted. You have " + list.length + " highlight" + (list.length === 1 ? "" : "s") + "."); }
        });
    });
    box.appendChild(label);
    box.appendChild(paraSelect);
    box.appendChild(go);
    return box;
  }

  function announce(message) { if (say) { say.textContent = message || ""; } }

  /* The selection as ranges of paragraph words, or null when it is not in the article. */
  function selectedRanges() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!pane.contains(range.commonAncestorContainer)) { return null; }
    var out = [];
    $all(".ptext", pane).forEach(function (ptext) {
      if (!range.intersectsNode(ptext)) { return; }
      var para = ptext.closest(".para");
      var at = 0;
      var start = null;
      var end = null;
      textNodes(ptext).forEach(function (node) {
        var len = node.data.length;
        var s = 0;
        var e = len;
        var skip = false;
        // A node that starts before the selection is in it only where the selection starts
        // inside it; likewise at the end (a boundary between elements selects nothing more).
        if (node === range.startContainer) { s = range.startOffset; }
        else if (range.comparePoint(node, 0) === -1) { skip = true; }
        if (node === range.endContainer) { e = range.endOffset; }
        else if (range.comparePoint(node, len) === 1) { skip = true; }
        if (!skip && e > s) {
          if (start === null) { start = at + s; }
          end = at + e;
        }
        at += len;
      });
      var words = textNodes(ptext).map(function (n) { return n.data; }).join("");
      if (start !== null && end > start && words.slice(start, end).trim()) {
        out.push({ source: para.dataset.source, paragraph: Number(para.dataset.paragraph), start: start, end: end });
      }
    });
    return out.length ? out.slice(0, 20) : null;
  }

  var pendingRanges = null;
  function onSelection() {
    pendingRanges = selectedRanges();
    if (addButton) { addButton.disabled = !pendingRanges; }
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { resp: resp, data: data }; });
    }).then(function (r) {
      if (r.resp.ok && Array.isArray(r.data.highlights)) {
        list = r.data.highlights;
        draw();
        return true;
      }
      announce("Not saved: " + (r.data.message || "the server refused it."));
      return false;
    }, function () {
      announce("Not saved: the server could not be reached. Try again.");
      return false;
    });
  }

  function addSelection() {
    var ranges = pendingRanges || selectedRanges();
    if (!ranges) { announce("Select some words of the article first."); return; }
    addButton.disabled = true;
    send("POST", addUrl, { ranges: ranges }).then(function (ok) {
      if (ok) {
        window.getSelection().removeAllRanges();
        pendingRanges = null;
        announce("Highlighted. You have " + list.length + " highlight" + (list.length === 1 ? "" : "s") + ".");
      } else {
        onSelection();
      }
    });
  }

  function removeOne(id, button) {
    button.disabled = true;
    send("DELETE", addUrl + "/" + encodeURIComponent(id)).then(function (ok) {
      if (ok) {
        announce("Highlight removed.");
        var next = $(".hl-remove", itemsEl) || $("summary", bar);
        if (next) { next.focus(); }
      } else {
        button.disabled = false;
      }
    });
  }

  buildBar();
  draw();

  if (addUrl) {
    document.addEventListener("selectionchange", onSelection);
    // Keep the selection when the button is pressed (a tap or click must not collapse it first).
    addButton.addEventListener("mousedown", function (event) { event.preventDefault(); });
    addButton.addEventListener("click", addSelection);
    itemsEl.addEventListener("click", function (event) {
      var button = event.target.closest(".hl-remove");
      if (button) { removeOne(button.dataset.id, button); }
    });
  }
  // A highlight in the text leads to its entry in the list (to remove it, or just to see it).
  pane.addEventListener("click", function (event) {
    var mark = event.target.closest("mark.hl");
    if (!mark || !window.getSelection().isCollapsed) { return; }
    var details = $(".hl-list", bar);
    details.open = true;
    var target = $(".hl-remove[data-id='" + mark.dataset.id + "']", itemsEl) || $("summary", details);
    target.focus();
  });
})();
