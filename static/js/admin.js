// Accessibility repairs for widgets Django's admin builds in the browser or without labels.
(function () {
  "use strict";

  function repair() {
    // The filter boxes' search icons carry an aria-label, which a plain span may not.
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // Split date and time fields: each input named after its field ("Last login: date").
    document.querySelectorAll("p.datetime").forEach(function (group) {
      var row = group.closest(".form-row, .flex-container, td, fieldset");
      var label = row ? row.querySelector("label") : null;
      var name = label ? label.textContent.replace(/[:*]\s*$/, "").trim() : "";
      group.querySelectorAll("input").forEach(function (input, index) {
        if (!input.hasAttribute("aria-label")) {
          input.setAttribute("aria-label", (name ? name + ": " : "") + (index === 0 ? "date" : "time"));
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", repair);
  window.addEventListener("load", function () { window.setTimeout(repair, 0); });
})();
