// Tables wider than the screen scroll inside their own box (style.css, phones). A box that
// scrolls must be reachable by keyboard to be scrolled without a pointer: each such table gets
// a place in the tab order, and loses it when the window is wide enough to show it whole.
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.tabIndex = 0;
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(mark, 150);
  });
  mark();
}());
