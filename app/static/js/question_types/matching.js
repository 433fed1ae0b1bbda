/* Matching: item id -> the alias of the chosen right-hand text, one select per item. */
(function (types) {
  "use strict";
  types.register("matching", {
    read: function (fs, name) {
      var out = {};
      types.all("select", fs).forEach(function (sel) {
        if (sel.value) { out[sel.name.slice((name + "-match-").length)] = sel.value; }
      });
      return Object.keys(out).length ? out : null;
    },
    apply: function (fs, name, value) {
      types.all("select", fs).forEach(function (sel) {
        sel.value = (value && value[sel.name.slice((name + "-match-").length)]) || "";
      });
    }
  });
})(window.HustingsQuestionTypes);
