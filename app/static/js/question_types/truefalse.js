/* True/false: two radio buttons; the answer is a JSON boolean. */
(function (types) {
  "use strict";
  types.register("truefalse", {
    read: function (fs, name) {
      var checked = types.one("input[name='" + name + "']:checked", fs);
      return checked ? checked.value === "true" : null;
    },
    apply: function (fs, name, value) {
      types.all("input[name='" + name + "']", fs).forEach(function (i) { i.checked = value !== null && i.value === String(value); });
    }
  });
})(window.HustingsQuestionTypes);
