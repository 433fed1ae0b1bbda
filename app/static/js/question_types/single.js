/* Single choice: one radio button. */
(function (types) {
  "use strict";
  types.register("single", {
    read: function (fs, name) {
      var checked = types.one("input[name='" + name + "']:checked", fs);
      return checked ? checked.value : null;
    },
    apply: function (fs, name, value) {
      types.all("input[name='" + name + "']", fs).forEach(function (i) { i.checked = value !== null && i.value === String(value); });
    }
  });
})(window.HustingsQuestionTypes);
