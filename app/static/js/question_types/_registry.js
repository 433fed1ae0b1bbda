/* Question types on the attempt page. Each type's script (question_types/<type>.js, loaded
 * before attempt.js) registers how to read the answer from its fieldset and how to put a saved
 * answer back; attempt.js asks here by the fieldset's data-type and never tests a type itself.
 * A reader returns null for "not answered" and throws an Error whose message is shown to the
 * student when the controls hold something that is not an answer yet. */
(function () {
  "use strict";
  var kinds = {};
  window.HustingsQuestionTypes = {
    register: function (name, kind) { kinds[name] = kind; },
    get: function (name) { return Object.prototype.hasOwnProperty.call(kinds, name) ? kinds[name] : null; },
    names: function () { return Object.keys(kinds); },
    one: function (selector, root) { return root.querySelector(selector); },
    all: function (selector, root) { return Array.prototype.slice.call(root.querySelectorAll(selector)); }
  };
  var types = window.HustingsQuestionTypes;
  /* Readers more than one type shares: a typed text, and a set of ticked boxes. */
  types.typedText = {
    read: function (fs, name) {
      var field = types.one("[name='" + name + "']", fs);
      return field.value.trim() ? field.value : null;
    },
    apply: function (fs, name, value) {
      types.one("[name='" + name + "']", fs).value = value || "";
    }
  };
  types.tickedBoxes = {
    read: function (fs, name) {
      var picked = types.all("input[name='" + name + "']:checked", fs).map(function (i) { return i.value; });
      return picked.length ? picked : null;
    },
    apply: function (fs, name, value) {
      types.all("input[name='" + name + "']", fs).forEach(function (i) { i.checked = !!value && value.indexOf(i.value) >= 0; });
    }
  };
})();
