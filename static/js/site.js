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

  // The duplicates panel refreshes as the address is typed; a refresh already on its way
  // must not undo a "Link to job" the user ticked meanwhile.
  var linkChoice = null;

  function restoreLinkChoice(panel) {
    if (linkChoice === null) return;
    var radios = panel.querySelectorAll('input[name="link_job"]');
    var match = Array.prototype.find.call(radios, function (r) { return r.value === linkChoice; });
    if (match) {
      match.checked = true;
    } else if (linkChoice !== "") {
      var keep = document.createElement("p");
      keep.className = "small";
      keep.setAttribute("data-kept-link", "");
      keep.textContent = "Still linking to " + linkChoice + " as chosen earlier.";
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "link_job";
      hidden.value = linkChoice;
      keep.appendChild(hidden);
      Array.prototype.forEach.call(radios, function (r) { r.checked = false; });
      panel.appendChild(keep);
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_service") filterIssueTypes();
    if (event.target.id === "id_callback_requested") toggleCallbackTime();
    if (event.target.name === "link_job") {
      linkChoice = event.target.value;
      document.querySelectorAll("[data-kept-link]").forEach(function (kept) { kept.remove(); });
    }
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
    if (event.detail.target.id === "duplicates") restoreLinkChoice(event.detail.target);
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
