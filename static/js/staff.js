/* Staff course editor: add, remove and reorder learning outcomes without a page reload.
   Without this script the form still works: numbered positions order the outcomes and the
   "Remove" boxes drop them. With it, those controls hide and buttons set the very same
   fields, so the server reads one format either way. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function removeBox(row) {
    return row.querySelector('input[name$="-DELETE"]');
  }

  function isRemoved(row) {
    var box = removeBox(row);
    return Boolean(box && box.checked);
  }

  function keptRows(list) {
    return Array.prototype.filter.call(
      list.querySelectorAll("[data-outcome]"),
      function (row) { return !isRemoved(row); }
    );
  }

  // A removed row stays visible, struck through, with its button turned into "Restore".
  function showRemoval(row) {
    var removed = isRemoved(row);
    var button = row.querySelector("[data-outcome-remove]");
    var textarea = row.querySelector("textarea");
    row.classList.toggle("outcome--removed", removed);
    if (textarea) { textarea.readOnly = removed; }
    if (button) {
      var label = button.getAttribute(removed ? "data-label-restore" : "data-label-remove");
      button.textContent = removed ? "↺" : "✕";
      button.title = label;
      button.setAttribute("aria-label", label);
      button.setAttribute("aria-pressed", removed ? "true" : "false");
    }
    Array.prototype.forEach.call(
      row.querySelectorAll("[data-outcome-up], [data-outcome-down]"),
      function (move) { move.hidden = removed; }
    );
  }

  function renumber(list) {
    var rows = keptRows(list);
    rows.forEach(function (row, index) {
      var order = row.querySelector('input[name$="-ORDER"]');
      if (order) { order.value = String(index + 1); }
      var up = row.querySelector("[data-outcome-up]");
      var down = row.querySelector("[data-outcome-down]");
      if (up) { up.disabled = index === 0; }
      if (down) { down.disabled = index === rows.length - 1; }
    });
  }

  function setup(list) {
    var container = list.closest(".field") || list.parentNode;
    var prefix = list.getAttribute("data-prefix");
    var form = list.closest("form");
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = form.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var template = container.querySelector("template[data-outcome-template]");
    var addButton = container.querySelector("[data-outcome-add]");

    list.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !list.contains(button)) { return; }
      var row = button.closest("[data-outcome]");
      var rows = keptRows(list);
      var index = rows.indexOf(row);
      if (button.hasAttribute("data-outcome-up") && index > 0) {
        list.insertBefore(row, rows[index - 1]);
        button.focus();
      } else if (button.hasAttribute("data-outcome-down") && index >= 0 && index < rows.length - 1) {
        list.insertBefore(rows[index + 1], row);
        button.focus();
      } else if (button.hasAttribute("data-outcome-remove")) {
        var box = removeBox(row);
        if (box) { box.checked = !box.checked; }
        showRemoval(row);
      } else {
        return;
      }
      renumber(list);
    });

    if (addButton && template && total) {
      addButton.addEventListener("click", function () {
        var count = parseInt(total.value, 10);
        if (max && count >= parseInt(max.value, 10)) { return; }
        list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(count)));
        total.value = String(count + 1);
        renumber(list);
        list.lastElementChild.querySelector("textarea").focus();
      });
    }

    form.addEventListener("submit", function () { renumber(list); });
    Array.prototype.forEach.call(list.querySelectorAll("[data-outcome]"), showRemoval);
    renumber(list);
  }

  document.querySelectorAll("[data-outcomes]").forEach(setup);
})();
