/* Ordering: a place per item; the answer is the item aliases in the order of their places. */
(function (types) {
  "use strict";
  types.register("ordering", {
    read: function (fs, name) {
      var ranked = [];
      var used = {};
      var clash = false;
      types.all("select", fs).forEach(function (sel) {
        if (!sel.value) { return; }
        if (used[sel.value]) { clash = true; }
        used[sel.value] = true;
        ranked.push([Number(sel.value), sel.name.slice((name + "-rank-").length)]);
      });
      if (clash) { throw new Error("Give each item a different place."); }
      ranked.sort(function (a, b) { return a[0] - b[0]; });
      return ranked.length ? ranked.map(function (r) { return r[1]; }) : null;
    },
    apply: function (fs, name, value) {
      types.all("select", fs).forEach(function (sel) {
        var i = value ? value.indexOf(sel.name.slice((name + "-rank-").length)) : -1;
        sel.value = i >= 0 ? String(i + 1) : "";
      });
    }
  });
})(window.HustingsQuestionTypes);
