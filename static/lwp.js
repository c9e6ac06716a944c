// LWP panel: small enhancements. Every page works without this file.
(function () {
  "use strict";

  // ---- dashboard selection: survives the table's refreshes, cleared after a bulk action ----
  var selected = new Set();

  function rowBoxes() { return document.querySelectorAll("input.row-select"); }

  function showSelection() {
    var boxes = rowBoxes(), checked = 0;
    boxes.forEach(function (box) {
      box.checked = selected.has(box.value);
      if (box.checked) checked += 1;
    });
    var all = document.getElementById("select-all");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    var count = document.querySelector(".selected-count");
    if (count) count.textContent = selected.size ? " (" + selected.size + ")" : "";
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input.row-select")) {
      if (target.checked) selected.add(target.value); else selected.delete(target.value);
      showSelection();
    } else if (target.id === "select-all") {
      rowBoxes().forEach(function (box) {
        if (target.checked) selected.add(box.value); else selected.delete(box.value);
      });
      showSelection();
    }
  });

  document.addEventListener("htmx:afterSettle", showSelection);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    // Polling pauses in a hidden tab (an hx-trigger filter would need eval, which the CSP refuses).
    if (elt && elt.getAttribute("data-poll") === "visible" && document.visibilityState !== "visible") {
      event.preventDefault();
      return;
    }
    if (elt && elt.id === "bulk-form") {
      if (!selected.size) {  // nothing ticked: say so here instead of asking the server
        event.preventDefault();
        alert("Select one or more containers first.");
        return;
      }
      selected.clear();
    }
  });

  // ---- forms that take a while: show it, and stop a second click ----
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-busy") || event.defaultPrevented) return;
    form.setAttribute("aria-busy", "true");
    var working = form.getAttribute("data-working");
    if (working) document.getElementById(working).hidden = false;
    // Disable after the browser has read the form, or the clicked button's value is lost.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // A page restored from the back/forward cache must not stay "working".
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      var working = form.getAttribute("data-working");
      if (working) document.getElementById(working).hidden = true;
    });
  });

  // ---- delete: the button waits for the container's name (the server checks it too) ----
  function syncConfirm(form) {
    var input = form.querySelector("input[name=confirm]");
    var button = form.querySelector("button[type=submit]");
    if (input && button) button.disabled = input.value.trim() !== form.getAttribute("data-confirm-name");
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-confirm-name")) syncConfirm(form);
  });

  // ---- an operation's log: follows its end while it runs, unless the reader scrolled up ----
  // Each refresh replaces the box (it would start at its top again): keep where the reader was.
  var logAtEnd = true, logScroll = 0;

  function followLog() {
    var box = document.getElementById("oplog");
    if (box) box.scrollTop = logAtEnd ? box.scrollHeight : logScroll;
  }

  document.addEventListener("htmx:beforeSwap", function () {
    var box = document.getElementById("oplog");
    if (!box) return;
    logAtEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 8;
    logScroll = box.scrollTop;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.elt && event.detail.elt.id === "operation-live") followLog();
  });

  // ---- copy a token's secret ----
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else {  // plain http on a LAN address has no Clipboard API
      field.select();
      if (document.execCommand("copy")) done();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) copy(button);
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.parentElement.remove();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-confirm-name]").forEach(syncConfirm);
    showSelection();
    followLog();
  });
})();
