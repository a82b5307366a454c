// Small glue for htmx; no inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";
  function showMessage(text) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.innerHTML = "";
    box.appendChild(p);
  }
  // «Не сохранено, повторите»: the server was too busy to write (503 with Retry-After).
  // Say so where «сохранено» would appear, then send the same field again; nothing typed
  // is lost, and the retry carries whatever the field holds by then.
  var MAX_RETRIES = 30;
  function retryBusy(evt) {
    var xhr = evt.detail.xhr;
    var elt = evt.detail.elt;
    var wait = Number(xhr.getResponseHeader("Retry-After"));
    if (xhr.status !== 503 || !wait || !elt || !elt.isConnected) { return false; }
    var tries = Number(elt.dataset.busyTries || 0) + 1;
    if (tries > MAX_RETRIES) { return false; }
    elt.dataset.busyTries = String(tries);
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var text = doc.body.textContent.trim();
    if (evt.detail.target && text) { evt.detail.target.textContent = text; }
    window.setTimeout(function () { window.htmx.trigger(elt, "change"); }, wait * 1000);
    return true;
  }
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful && evt.detail.elt) { delete evt.detail.elt.dataset.busyTries; }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (retryBusy(evt)) { return; }
    var xhr = evt.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var msg = doc.querySelector(".card p");
    showMessage(msg ? msg.textContent : document.body.dataset.msgError + " (" + xhr.status + ")");
  });
  // Plain forms (they work without htmx) ask before destructive or final actions.
  document.addEventListener("submit", function (evt) {
    var button = evt.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      evt.preventDefault();
    }
  });
  // The page's save number only grows: a late answer to an earlier save must not set it
  // back, or the next save would look stale and be refused as a conflict.
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || target.id !== "revision") { return; }
    var incoming = evt.detail.fragment.querySelector("#revision");
    if (incoming && Number(incoming.value) < Number(target.value)) {
      evt.detail.shouldSwap = false;
    }
  });
  // What is true only with scripts on (e.g. «Ответы сохраняются сами») is hidden in the
  // page and shown here; without scripts a <noscript> says the other way.
  document.addEventListener("DOMContentLoaded", function () {
    var shown = document.querySelectorAll("[data-needs-js]");
    for (var i = 0; i < shown.length; i++) { shown[i].hidden = false; }
  });
  // «Ещё» opens by itself (a <details>); a click elsewhere or Escape closes it again.
  function closeMenus(except) {
    document.querySelectorAll("details.more[open]").forEach(function (d) {
      if (d !== except) { d.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (evt) {
    closeMenus(evt.target.closest ? evt.target.closest("details.more") : null);
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") { closeMenus(null); }
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage(document.body.dataset.msgOffline);
  });
})();
