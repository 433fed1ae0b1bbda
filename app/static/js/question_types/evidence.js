/* Evidence selection: the refs of the ticked passages (also ticked from the article by reading.js). */
(function (types) {
  "use strict";
  types.register("evidence", types.tickedBoxes);
})(window.HustingsQuestionTypes);
