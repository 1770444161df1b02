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
    // Autocomplete selects (select2): the box it draws is labelled by its own text, empty until a
    // choice is made; name it after the field's label instead.
    document.querySelectorAll("select.admin-autocomplete[id]").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container || !container.classList.contains("select2")) return;
      var name = label.textContent.replace(/[:*]\s*$/, "").trim();
      container.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(function (box) {
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", name);
      });
    });
  }

  // django-celery-beat's periodic task form: the chosen crontab in words under its help text
  // (its template did this in an inline script, which the Content-Security-Policy refuses).
  function crontabTranslation() {
    var data = document.getElementById("readable-crontabs");
    var select = document.getElementById("id_crontab");
    if (!data || !select) return;
    var readable = JSON.parse(data.textContent);
    document.querySelectorAll(".field-crontab_translation").forEach(function (row) { row.hidden = true; });
    var row = select.closest(".form-row, .fieldBox") || select.parentNode;
    var help = row.querySelector(".help");
    if (!help) return;
    var words = document.createElement("div");
    help.appendChild(words);
    function show() {
      var text = readable[select.value];
      words.textContent = text ? "Translation: " + text : "";
    }
    select.addEventListener("change", show);
    if (window.django && window.django.jQuery) window.django.jQuery(select).on("change", show);
  }

  document.addEventListener("DOMContentLoaded", crontabTranslation);
  document.addEventListener("DOMContentLoaded", repair);
  window.addEventListener("load", function () { window.setTimeout(repair, 0); });
})();
