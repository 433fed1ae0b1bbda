/* Short answer: the typed text. */
(function (types) {
  "use strict";
  types.register("short", {
    read: function (fs, name) {
      var field = types.one("[name='" + name + "']", fs);
      return field.value.trim() ? field.value : null;
    },
    apply: function (fs, name, value) {
      types.one("[name='" + name + "']", fs).value = value || "";
    }
  });
})(window.HustingsQuestionTypes);
