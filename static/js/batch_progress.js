/* Issuance batch page: poll progress.json every second and update the numbers and the bar in place.
   Without this script the page shows the numbers as they were when it rendered, and a refresh link. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-progress-url]");
  // A finished batch does not change any more (a retry reloads the page), so there is nothing to poll.
  if (!panel || !window.fetch || panel.hasAttribute("data-finished")) {
    return;
  }
  var url = panel.getAttribute("data-progress-url");

  function show(name, value) {
    var node = panel.querySelector('[data-field="' + name + '"]');
    if (node) {
      node.textContent = String(value);
    }
  }

  function render(data) {
    ["status_label", "percent", "issued", "skipped", "failed", "total"].forEach(function (name) {
      show(name, data[name]);
    });
    var bar = panel.querySelector('[data-field="bar"]');
    bar.style.width = data.percent + "%";
    bar.parentNode.setAttribute("aria-valuenow", data.percent);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        render(data);
        if (data.finished) {
          // Reload once at the end so the failed items and the retry button appear.
          if (data.failed > 0) {
            window.location.reload();
          }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
