/* Times in the reader's own time zone, with the zone named ("5 Dec 2026, 14:05 CET").
 * The server stores and writes UTC inside <time datetime="…Z" data-local="datetime|time">;
 * without this script the UTC text stays, which is still correct and says "UTC". */
(function () {
  "use strict";
  var styles = {
    datetime: { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
    time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" }
  };
  function localise(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("time[data-local]"), function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      try {
        el.textContent = new Intl.DateTimeFormat(undefined, styles[el.dataset.local] || styles.datetime).format(when);
        el.title = when.toISOString().replace(".000Z", "Z").replace("T", " ") + " (UTC)";
      } catch (e) { /* an old browser: keep the UTC text */ }
    });
  }
  window.HustingsTimes = { localise: localise };
  localise(document);
})();
