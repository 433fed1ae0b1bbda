/* Multiple response: the ids of the ticked options. */
(function (types) {
  "use strict";
  types.register("multiple", types.tickedBoxes);
})(window.HustingsQuestionTypes);
