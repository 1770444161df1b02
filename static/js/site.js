// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Issue types: show only those of the chosen service (the server checks the pair anyway).
  function filterIssueTypes() {
    var service = document.getElementById("id_service");
    var issue = document.getElementById("id_issue_type");
    if (!service || !issue) return;
    var label = service.options[service.selectedIndex] ? service.options[service.selectedIndex].text : "";
    var chosen = service.value !== "";
    Array.prototype.forEach.call(issue.querySelectorAll("optgroup"), function (group) {
      var match = !chosen || group.label === label;
      group.hidden = !match;
      group.disabled = !match;
    });
    var selected = issue.options[issue.selectedIndex];
    if (selected && selected.parentElement && selected.parentElement.disabled) issue.value = "";
  }

  function toggleCallbackTime() {
    var box = document.getElementById("id_callback_requested");
    var time = document.getElementById("callback-time");
    if (box && time) time.hidden = !box.checked;
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_service") filterIssueTypes();
    if (event.target.id === "id_callback_requested") toggleCallbackTime();
  });

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-clear-customer]");
    if (clear) {
      var fields = document.getElementById("customer-fields");
      fields.querySelectorAll("input, textarea").forEach(function (input) {
        if (input.type !== "radio" && input.type !== "checkbox") input.value = "";
      });
      clear.closest(".alert, p").remove();
      document.getElementById("id_customer_name").focus();
    }
  });

  // After picking a customer, clear the results and move on to the address.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "customer-fields") {
      var results = document.getElementById("customer-results");
      if (results) results.innerHTML = "";
      var next = document.getElementById("id_street_address");
      if (next) next.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    filterIssueTypes();
    toggleCallbackTime();
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
  });
})();
