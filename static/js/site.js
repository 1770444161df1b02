// Small progressive enhancements; every page works without them. No inline scripts anywhere:
// the Content-Security-Policy allows only files from /static/.
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function toggleCallbackTime() {
    var box = $("id_callback_requested");
    var time = $("callback-time");
    if (box && time) time.hidden = !box.checked;
  }

  // "Why earlier than now" only once the received time is moved from what the page loaded with
  // (or when it already holds a reason or an error).
  function toggleBackdateReason() {
    var received = $("id_received_at");
    var wrapper = $("backdate-reason");
    if (!received || !wrapper) return;
    var reason = $("id_backdate_reason");
    var changed = received.value !== (received.getAttribute("data-initial") || "");
    wrapper.hidden = !(changed || (reason && (reason.value || reason.classList.contains("is-invalid"))));
  }

  // Character counters for the fields with a length limit.
  function setUpCounters(root) {
    (root || document).querySelectorAll("[data-counter][maxlength]").forEach(function (field) {
      if (field.hasAttribute("data-counted")) return;
      field.setAttribute("data-counted", "");
      var counter = document.createElement("div");
      counter.className = "form-text text-end char-counter";
      counter.id = field.id + "-counter";
      field.insertAdjacentElement("afterend", counter);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
      var update = function () {
        var max = parseInt(field.getAttribute("maxlength"), 10);
        counter.textContent = field.value.length + " of " + max + " characters";
        counter.classList.toggle("text-danger", field.value.length >= max);
      };
      field.addEventListener("input", update);
      update();
    });
  }

  // How many texts a message is sent as, counted as the network counts it (the same rules as
  // common/sms.py sms_parts): GSM 7-bit, 160 in one text or 153 a part, a few characters taking
  // two places; one character outside it (a macron: "Tūhoe") makes it UCS-2, 70 or 67 a part.
  var GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXTENDED = "^{}\\[~]|€\f";

  function smsParts(text) {
    var gsm = true, units = 0, i;
    for (i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM_EXTENDED.indexOf(ch) >= 0) units += 2;
      else if (GSM_BASIC.indexOf(ch) >= 0) units += 1;
      else { gsm = false; break; }
    }
    if (!gsm) units = text.length;  // UTF-16 code units, as UCS-2 counts them
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67;
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments };
  }
  window.smsParts = smsParts;

  function setUpSmsCounters(root) {
    (root || document).querySelectorAll("textarea[data-sms-prefix]").forEach(function (field) {
      if (field.hasAttribute("data-sms-counted")) return;
      field.setAttribute("data-sms-counted", "");
      var counter = document.createElement("div");
      counter.className = "form-text sms-counter";
      counter.id = field.id + "-sms";
      counter.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", counter);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
      var update = function () {
        var body = field.value.split(/\s+/).filter(Boolean).join(" ");
        var parts = smsParts(field.getAttribute("data-sms-prefix") + body + field.getAttribute("data-sms-suffix"));
        var text = "As a text: " + parts.units + " characters, " + parts.segments + " text" +
          (parts.segments === 1 ? "" : "s") + (parts.encoding === "UCS-2" ?
            " (a character such as a macron makes each text hold 70, or 67 when split)" : "") + ".";
        if (parts.segments > 3) text += " Longer than 3 texts: shorten it if you can; it is sent whole.";
        counter.textContent = text;
        counter.classList.toggle("text-danger", parts.segments > 3);
      };
      field.addEventListener("input", update);
      update();
    });
  }

  // Nothing typed is lost when a session ends: a form sent is kept in this tab's sessionStorage
  // until the next page; when the server sends the user to log in first, it brings them back to
  // the form with ?draft=restore (accounts/decorators.py) and what they typed is put back. Any
  // other page load forgets every kept form (personal data does not linger), and so does logging out.
  var DRAFT = "draft:";
  var DRAFT_MAX_AGE_MS = 12 * 60 * 60 * 1000;
  var KEPT_TYPES = /^(text|search|tel|email|number|date|datetime-local|time|url|checkbox|radio)$/;

  function draftKey(form) {
    return DRAFT + location.pathname + "|" + (form.getAttribute("action") || location.pathname);
  }

  function draftable(form) {
    var action = form.getAttribute("action") || location.pathname;
    return (form.method || "").toLowerCase() === "post" && !form.hasAttribute("data-no-draft") &&
      action.indexOf("/accounts/") === -1;
  }

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      if (!field.name || field.disabled) return false;
      if (field.tagName === "TEXTAREA" || field.tagName === "SELECT") return true;
      return field.tagName === "INPUT" && KEPT_TYPES.test(field.type);
    });
  }

  function draftForget() {
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var key = sessionStorage.key(i);
      if (key && key.indexOf(DRAFT) === 0) sessionStorage.removeItem(key);
    }
  }

  function draftSave(form) {
    var values = draftFields(form).map(function (field) {
      if (field.type === "checkbox" || field.type === "radio") return [field.name, field.value, field.checked];
      if (field.tagName === "SELECT" && field.multiple) {
        return [field.name, Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; })];
      }
      return [field.name, field.value];
    });
    try { sessionStorage.setItem(draftKey(form), JSON.stringify({ at: Date.now(), values: values })); } catch (e) {}
  }

  function draftRestore(form) {
    var kept;
    try { kept = JSON.parse(sessionStorage.getItem(draftKey(form)) || "null"); } catch (e) { kept = null; }
    if (!kept || Date.now() - kept.at > DRAFT_MAX_AGE_MS) return false;
    var fields = draftFields(form);
    kept.values.forEach(function (entry) {
      fields.forEach(function (field) {
        if (field.name !== entry[0]) return;
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === entry[1]) field.checked = entry[2];
        } else if (field.tagName === "SELECT" && field.multiple) {
          Array.prototype.forEach.call(field.options, function (o) { o.selected = entry[1].indexOf(o.value) >= 0; });
        } else {
          field.value = entry[1];
        }
        field.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    var notice = document.createElement("div");
    notice.className = "alert alert-warning draft-restored";
    notice.setAttribute("role", "status");
    notice.setAttribute("tabindex", "-1");
    notice.textContent = "You were signed out before this was sent, so it was not saved. What you typed is back: " +
      "check it and send it again.";
    form.insertAdjacentElement("beforebegin", notice);
    notice.focus();
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("action") || "").indexOf("/accounts/logout") === 0) { draftForget(); return; }
    if (draftable(form)) draftSave(form);
  }, true);

  function draftsOnLoad() {
    var params = new URLSearchParams(location.search);
    if (location.pathname.indexOf("/accounts/login") === 0) return; // on the way back to the form
    if (params.get("draft") === "restore") {
      document.querySelectorAll("form").forEach(function (form) { if (draftable(form)) draftRestore(form); });
      params.delete("draft");
      var query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }
    draftForget();
  }

  // Customer lookup: arrows move the highlight, Enter picks it, Escape closes the list.
  function matches() { return Array.prototype.slice.call(document.querySelectorAll("#customer-results .customer-match")); }

  function highlight(index) {
    var query = $("customer-query");
    var all = matches();
    all.forEach(function (m, i) {
      m.classList.toggle("active", i === index);
      if (i === index) m.setAttribute("aria-current", "true"); else m.removeAttribute("aria-current");
    });
    if (!query) return;
    if (all[index]) query.setAttribute("aria-activedescendant", all[index].id);
    else query.removeAttribute("aria-activedescendant");
  }

  function highlighted() {
    var all = matches();
    for (var i = 0; i < all.length; i++) if (all[i].classList.contains("active")) return i;
    return -1;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var form = target.closest ? target.closest("#enquiry-form") : null;
    if (!form) return;
    if (target.id === "customer-query") {
      var all = matches();
      var at = highlighted();
      if (event.key === "ArrowDown" && all.length) {
        event.preventDefault();
        highlight(Math.min(at + 1, all.length - 1));
      } else if (event.key === "ArrowUp" && all.length) {
        event.preventDefault();
        highlight(Math.max(at - 1, 0));
      } else if (event.key === "Escape") {
        $("customer-results").innerHTML = "";
        target.removeAttribute("aria-activedescendant");
      } else if (event.key === "Enter") {
        event.preventDefault(); // never submits the half-filled enquiry
        if (at >= 0 && all[at]) {
          all[at].click();
          // Focus moves on now, not when the customer's details arrive: what the operator types
          // straight after Enter belongs to the address, never back in the lookup.
          var address = $("id_street_address");
          if (address) address.focus();
        }
      }
      return;
    }
    // Enter in a single-line field never posts the form (buttons and text areas keep it).
    if (event.key === "Enter" && target.tagName === "INPUT" && !/^(submit|button|image|reset)$/.test(target.type)) {
      event.preventDefault();
    }
  });

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
    var target = event.target;
    if (target.id === "id_callback_requested") toggleCallbackTime();
    if (target.id === "id_received_at" || target.id === "id_backdate_reason") toggleBackdateReason();
    if (target.name === "link_job") {
      linkChoice = target.value;
      document.querySelectorAll("[data-kept-link]").forEach(function (kept) { kept.remove(); });
    }
    if (target.hasAttribute && target.hasAttribute("data-select-all")) {
      var form = target.form;
      form.querySelectorAll('input[type="checkbox"][name="' + target.getAttribute("data-select-all") + '"]')
        .forEach(function (box) { box.checked = target.checked; });
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "id_received_at") toggleBackdateReason();
  });

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-clear-customer]");
    if (clear) {
      var fields = $("customer-fields");
      fields.querySelectorAll("input, textarea").forEach(function (input) {
        if (input.type !== "radio" && input.type !== "checkbox") input.value = "";
      });
      clear.closest(".alert, p").remove();
      $("id_customer_name").focus();
    }
  });

  // A lookup superseded by a newer one is aborted quietly: htmx reports every abort as an
  // error on the console, which here is just the operator typing on.
  document.body.addEventListener("htmx:beforeSend", function (event) {
    var xhr = event.detail.xhr;
    var loud = xhr.onabort;
    if (!loud) return;
    xhr.onabort = function () {
      var error = console.error;
      console.error = function () {};
      try { return loud.apply(this, arguments); } finally { console.error = error; }
    };
  });

  // After picking a customer, clear the results and move on to the address.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "duplicates") restoreLinkChoice(target);
    if (target.id === "customer-results") highlight(0);
    if (target.id === "customer-fields" || (target.closest && target.closest("#customer-fields"))) {
      var results = $("customer-results");
      if (results) results.innerHTML = "";
      var query = $("customer-query");
      if (query) query.removeAttribute("aria-activedescendant");
      setUpCounters($("customer-fields"));
      var next = $("id_street_address");
      var typing = document.activeElement;
      // Only when focus is not already on its way (a click rather than Enter), and never away from typing.
      if (next && (!typing || typing === document.body || typing.id === "customer-query" ||
                   (typing.closest && typing.closest("#customer-results")))) next.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    toggleCallbackTime();
    toggleBackdateReason();
    setUpCounters(document);
    setUpSmsCounters(document);
    draftsOnLoad();
    var errors = $("form-errors");
    var confirmation = document.querySelector(".reference-alert");
    if (errors) errors.focus();
    else if (confirmation) confirmation.focus(); // the reference to read back; "Log next enquiry" is next
  });
})();
