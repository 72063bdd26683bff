// Admin pages: follow a training job without reloading the page.
// The job page works without this file (it refreshes itself inside <noscript>); with it, the
// progress bar and message move in place, and the page reloads once the job has finished so the
// server can show the outcome (the new version, or the error).
(function () {
  "use strict";

  var POLL_MS = 1000;

  function follow(panel) {
    var url = panel.getAttribute("data-job-status");
    var bar = panel.querySelector('[data-job-field="progress"]');
    var status = panel.querySelector('[data-job-field="status"]');
    var message = panel.querySelector('[data-job-field="message"]');
    var log = panel.querySelector('[data-job-field="log"]');

    function show(job) {
      bar.value = job.progress;
      bar.textContent = Math.round(job.progress * 100) + "%";
      status.textContent = job.status;
      status.className = "tag status-" + job.status;
      message.textContent = job.message;
      if (log) { log.textContent = job.log; }
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (job) {
          show(job);
          if (job.status === "succeeded" || job.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () {
          // A hiccup (server restarting, network): try again a little later.
          window.setTimeout(poll, POLL_MS * 3);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panels = document.querySelectorAll('[data-job-status][data-job-finished="false"]');
    Array.prototype.forEach.call(panels, follow);
  });
})();

// Forms that change data: ask before a deletion (data-confirm) and send a form once only
// (data-submit-once), so a double click cannot post it twice.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-submit-once")) {
      if (form.getAttribute("data-submitted")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "true");
    }
  });
})();

// Copy buttons (data-copy="<id of the element to copy>"): hidden unless the browser offers the
// clipboard (HTTPS or localhost), so nobody meets a button that cannot work; the text stays
// selectable either way. The status beside it says whether the copy was made.
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) { return; }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var source = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) { status.textContent = "Copied."; }
      }, function () {
        if (status) { status.textContent = "Not copied: select the token and copy it."; }
      });
    });
  });
})();
