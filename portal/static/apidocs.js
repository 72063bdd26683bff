// The API page's "Try it" forms: send an endpoint's example request from the page and show the
// answer. The page reads whole without this file (the forms stay hidden); with it, each form
// sends its request to this host only, with no cookies, so it acts as the API's own clients do
// (anonymous, or with the token typed in).
(function () {
  "use strict";

  function pretty(text, type) {
    if (type.indexOf("json") === -1) { return text; }
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  function attach(form) {
    var method = form.getAttribute("data-try-method");
    var status = form.querySelector("[data-try-status]");
    var answer = form.querySelector("[data-try-answer]");
    var button = form.querySelector("button");

    function report(line, text) {
      status.textContent = line;
      answer.textContent = text;
      answer.hidden = text === "";
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var target = form.elements.target.value.trim();
      // A path on this host: the page is not a way to send requests elsewhere.
      var url;
      try { url = new URL(target, window.location.origin); } catch (e) { url = null; }
      if (target.charAt(0) !== "/" || !url || url.origin !== window.location.origin) {
        report("The address must be a path on this host, starting with one /.", "");
        return;
      }
      if (/[{}]/.test(target)) {
        report("Fill in the address's {…} parts first.", "");
        return;
      }
      var change = form.getAttribute("data-try-confirm");
      if (change && !window.confirm("Send " + method + " " + target +
                                    "? This changes the portal.")) {
        report("Not sent.", "");
        return;
      }
      var headers = { Accept: "application/json" };
      var options = { method: method, headers: headers, credentials: "omit" };
      if (form.elements.token && form.elements.token.value) {
        headers.Authorization = "Bearer " + form.elements.token.value.trim();
      }
      if (form.elements.body) {
        headers["Content-Type"] = "application/json";
        options.body = form.elements.body.value;
      }
      button.disabled = true;
      report("Sending…", "");
      fetch(url.pathname + url.search, options)
        .then(function (response) {
          return response.text().then(function (text) {
            var type = response.headers.get("Content-Type") || "";
            report(response.status + " " + response.statusText, pretty(text, type));
          });
        })
        .catch(function (error) { report("No answer: " + error.message, ""); })
        .then(function () { button.disabled = false; });
    });
    form.hidden = false;
  }

  document.querySelectorAll("form[data-try-method]").forEach(attach);
}());
