/* Short answer: the typed text. */
(function (types) {
  "use strict";
  types.register("short", types.typedText);
})(window.HustingsQuestionTypes);
