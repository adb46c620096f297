/* Catalogue progressive enhancement: filters apply as soon as they change, and the filter
   panel starts folded on narrow screens. Without JavaScript the form's buttons do the same. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-auto-submit]");
  if (!form) {
    return;
  }

  var panel = document.querySelector("[data-filter-panel]");
  var narrow = window.matchMedia("(max-width: 61.99rem)");
  // Keep the panel open when it shows errors, so the messages are not hidden.
  if (panel && narrow.matches && !panel.hasAttribute("data-has-errors")) {
    panel.open = false;
  }

  var hint = form.querySelector("[data-auto-submit-hint]");
  if (hint) {
    // Announced before any change, so the reload that follows is expected.
    hint.hidden = false;
  }

  function submit() {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!control || control.form !== form) {
      return;
    }
    // The form carries no page number, so every change starts again at page 1.
    // Typed values (search, ECTS bounds) apply on Enter or the button, not on every edit.
    if (control.type === "search" || control.type === "text" || control.type === "number") {
      return;
    }
    submit();
  });
})();
