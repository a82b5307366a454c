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
  document.addEventListener("htmx:sendError", function () {
    showMessage(document.body.dataset.msgOffline);
  });
})();
