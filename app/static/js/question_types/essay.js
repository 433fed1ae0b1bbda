/* Essay: the typed text (attempt.js counts its words). */
(function (types) {
  "use strict";
  types.register("essay", types.typedText);
})(window.HustingsQuestionTypes);
