/* Evidence selection: the refs of the ticked passages (also ticked from the article by reading.js). */
(function (types) {
  "use strict";
  types.register("evidence", {
    read: function (fs, name) {
      var picked = types.all("input[name='" + name + "']:checked", fs).map(function (i) { return i.value; });
      return picked.length ? picked : null;
    },
    apply: function (fs, name, value) {
      types.all("input[name='" + name + "']", fs).forEach(function (i) { i.checked = !!value && value.indexOf(i.value) >= 0; });
    }
  });
})(window.HustingsQuestionTypes);
