/* Numeric answer: what the student typed, as typed. The server reads the number ("1,822",
 * "1.5e3"...) and answers 400 with a message saying what to type when it is not one, which
 * attempt.js shows beside the question. */
(function (types) {
  "use strict";
  types.register("numeric", {
    read: function (fs, name) {
      var typed = types.one("[name='" + name + "']", fs).value.trim();
      return typed ? typed : null;
    },
    apply: function (fs, name, value) {
      types.one("[name='" + name + "']", fs).value = value === null || value === undefined ? "" : String(value);
    }
  });
})(window.HustingsQuestionTypes);
