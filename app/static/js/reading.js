/* Hustings reading pane: where the student is in each article, and (on a narrow screen) the
 * switch between the article and the questions.
 *
 * Works beside attempt.js, which owns the article tabs, "show paragraph" links and evidence
 * picking; this script only remembers and restores positions around them:
 * - each article keeps its own reading position when the student switches tabs;
 * - below 900 px the article and the questions are two views of one page; a switch in the
 *   sticky status bar (which keeps the answered count and the timer in sight) moves between
 *   them, each view keeping its scroll position. Links to a paragraph and evidence picking
 *   open the article view; finishing a pick returns to the questions.
 * Without this script both panes are simply stacked, questions reachable by a skip link.
 */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  var pane = $(".reading-pane");
  if (!pane) { return; }
  var narrow = window.matchMedia("(max-width: 899px)");

  /* ---------------- one reading position per article ---------------- */

  var positions = {};
  function selectedSlug() {
    var tab = $(".source-tabs [role=tab][aria-selected=true]");
    return tab ? tab.id.slice(4) : null;
  }
  function scrollerTop() { return narrow.matches ? window.scrollY : pane.scrollTop; }
  function setScrollerTop(y) {
    if (narrow.matches) { window.scrollTo(0, y); } else { pane.scrollTop = y; }
  }
  var tablist = $(".source-tabs");
  var switching = false;
  function rememberBeforeTabSwitch(event) {
    var wanted = event.type === "click" ? event.target.closest("[role=tab]") : null;
    if (event.type === "keydown" && !/^(ArrowLeft|ArrowRight|Home|End)$/.test(event.key)) { return; }
    if (event.type === "click" && !wanted) { return; }
    var slug = selectedSlug();
    if (slug) { positions[slug] = scrollerTop(); }
    switching = true;
  }
  if (tablist) {
    tablist.addEventListener("click", rememberBeforeTabSwitch, true);
    tablist.addEventListener("keydown", rememberBeforeTabSwitch, true);
    new MutationObserver(function () {
      if (!switching) { return; }
      switching = false;
      var slug = selectedSlug();
      var top = slug && positions[slug] !== undefined ? positions[slug] : null;
      if (top === null) {  // first visit: the top of that article
        var article = document.getElementById("source-" + slug);
        top = narrow.matches && article ? article.getBoundingClientRect().top + window.scrollY - 120 : 0;
        top = Math.max(0, Math.min(top, scrollerTop()));
      }
      setScrollerTop(top);
    }).observe(tablist, { attributes: true, subtree: true, attributeFilter: ["aria-selected"] });
  }

  /* ---------------- narrow screens: article and questions as two views ---------------- */

  var statusBar = $(".status-bar");
  function measureStatusBar() {
    if (statusBar) {
      document.documentElement.style.setProperty("--status-bar-height", statusBar.offsetHeight + "px");
    }
  }
  window.addEventListener("resize", measureStatusBar);

  var views = $(".view-switch");
  var body = document.body;
  var viewTop = { article: 0, questions: 0 };

  function showView(name, keepScroll) {
    var current = body.dataset.view;
    if (current === name) { return; }
    if (current) { viewTop[current] = window.scrollY; }
    body.dataset.view = name;
    $all("[data-view-button]", views).forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.viewButton === name ? "true" : "false");
    });
    if (!keepScroll) { window.scrollTo(0, viewTop[name]); }
  }

  function applyWidth() {
    if (!views) { return; }
    if (narrow.matches) {
      views.hidden = false;
      if (!body.dataset.view) { showView(location.hash && $(".para" + location.hash) ? "article" : "questions"); }
    } else {
      views.hidden = true;
      delete body.dataset.view;
    }
  }

  if (views) {
    $all("[data-view-button]", views).forEach(function (button) {
      button.addEventListener("click", function () { showView(button.dataset.viewButton); });
    });
    if (narrow.addEventListener) { narrow.addEventListener("change", applyWidth); }
    applyWidth();
    measureStatusBar();
    // Capture phase: the article view must be shown before attempt.js scrolls to a paragraph
    // or puts the pick boxes into the article.
    document.addEventListener("click", function (event) {
      if (!narrow.matches) { return; }
      if (event.target.closest("a.show-para, .pick-in-article")) { showView("article", true); }
      if (event.target.closest("#pick-done")) { showView("questions"); }
    }, true);
    document.addEventListener("keydown", function (event) {
      var banner = $("#pick-banner");
      if (narrow.matches && event.key === "Escape" && banner && !banner.hidden) { showView("questions"); }
    }, true);
  }
})();
