// Item picker: turns a text box of item ids (data-search = a search URL) into a search box with
// suggestions and a list of chosen items. Without JavaScript the text box of ids still works.
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function label(item) {
    return item.title + (item.year ? " (" + item.year + ")" : "");
  }

  function setUp(input) {
    var url = input.getAttribute("data-search");
    var chosen = [];  // [{id, title, year}]
    var box = el("div", "picker");
    var search = el("input", "picker-search");
    search.type = "search";
    search.placeholder = "Search by title, e.g. Star Wars";
    search.setAttribute("aria-label", "Search " + (input.labels[0] ? input.labels[0].textContent : "items"));
    search.setAttribute("autocomplete", "off");
    var suggestions = el("ul", "picker-suggestions");
    suggestions.setAttribute("role", "listbox");
    var list = el("ul", "picker-chosen");
    list.setAttribute("aria-live", "polite");
    input.type = "hidden";
    input.parentNode.insertBefore(box, input.nextSibling);
    box.appendChild(list);
    box.appendChild(search);
    box.appendChild(suggestions);

    function sync() {
      input.value = chosen.map(function (item) { return item.id; }).join(" ");
      list.textContent = "";
      chosen.forEach(function (item, index) {
        var li = el("li", "chip", label(item) + " ");
        var remove = el("button", "chip-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + label(item));
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          sync();
        });
        li.appendChild(remove);
        list.appendChild(li);
      });
    }

    function pick(item) {
      if (!chosen.some(function (c) { return c.id === item.id; })) chosen.push(item);
      search.value = "";
      suggestions.textContent = "";
      sync();
      search.focus();
    }

    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      var query = search.value.trim();
      if (query.length < 2) { suggestions.textContent = ""; return; }
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(query))
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) {
            suggestions.textContent = "";
            items.forEach(function (item) {
              var li = el("li", "suggestion");
              var button = el("button", "link", label(item));
              button.type = "button";
              button.setAttribute("data-id", item.id);
              button.addEventListener("click", function () { pick(item); });
              li.appendChild(button);
              suggestions.appendChild(li);
            });
            if (!items.length) suggestions.appendChild(el("li", "meta", "No title matches."));
          });
      }, 200);
    });
    // Enter in the search box picks the first suggestion instead of submitting the form.
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var first = suggestions.querySelector("button");
      if (first) first.click();
    });

    var ids = input.value.split(/[\s,]+/).filter(Boolean);
    if (ids.length) {
      fetch(url + "?ids=" + ids.join(","))
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (items) { chosen = items; sync(); });
    }
  }

  document.querySelectorAll("input.item-picker[data-search]").forEach(function (input) {
    if (input.getAttribute("data-search")) setUp(input);
  });
})();
