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
  document.addEventListener("htmx:responseError", function (evt) {
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
  document.addEventListener("htmx:sendError", function () {
    showMessage(document.body.dataset.msgOffline);
  });
})();
