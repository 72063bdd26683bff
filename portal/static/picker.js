// Item picker: turns a text box of item ids (data-search = a search URL) into a search box with
// a list of suggestions and a list of chosen items. Without JavaScript the text box of ids works.
//
// The search box is an ARIA combobox: its suggestions are a listbox whose options the arrow keys
// move through (Home and End too), Enter picks the active one (the first when none is), Escape
// closes the list; a status line says how many titles were found.
//
// With data-ratings naming a text field of the same form (one rating per item, in order), each
// chosen item gets its own rating control, and that field is filled from them and hidden: an
// item left at "liked" counts as 4 stars, as the field's own help says, and when every item is
// left there the field stays empty.
(function () {
  "use strict";

  var STARS = ["5", "4.5", "4", "3.5", "3", "2.5", "2", "1.5", "1", "0.5"];
  var LIKED = "4";
  var count = 0;

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
    var prefix = "picker-" + (++count);
    var ratingsName = input.getAttribute("data-ratings");
    var ratings = ratingsName && input.form ? input.form.elements[ratingsName] : null;
    var chosen = [];  // [{id, title, year, stars: "" (liked) or "0.5".."5"}]
    var found = [];   // the suggestions shown, in order
    var foundFor = "";  // the search text they were found for
    var active = -1;  // index into found of the option the arrow keys are on
    var timer = null;
    var asked = 0;    // searches sent; an answer to an earlier one is dropped

    var box = el("div", "picker");
    var search = el("input", "picker-search");
    search.type = "search";
    search.id = prefix + "-search";
    search.placeholder = "Search by title, e.g. Star Wars";
    search.setAttribute("aria-label",
                        "Search " + (input.labels[0] ? input.labels[0].textContent.trim() : "items"));
    search.setAttribute("autocomplete", "off");
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-autocomplete", "list");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-controls", prefix + "-options");
    var described = input.getAttribute("aria-describedby");
    if (described) search.setAttribute("aria-describedby", described);
    if (input.getAttribute("aria-invalid")) search.setAttribute("aria-invalid", "true");
    var options = el("ul", "picker-suggestions");
    options.id = prefix + "-options";
    options.setAttribute("role", "listbox");
    options.setAttribute("aria-label", "Titles found");
    var status = el("p", "meta picker-status");
    status.setAttribute("role", "status");
    var list = el("ul", "picker-chosen");
    list.setAttribute("aria-label", "Chosen");

    input.type = "hidden";
    input.parentNode.insertBefore(box, input.nextSibling);
    box.appendChild(list);
    box.appendChild(search);
    box.appendChild(options);
    box.appendChild(status);
    var ratingsError = null;
    if (ratings) {
      var wrapper = ratings.closest(".field") || ratings;
      wrapper.hidden = true;
      // The server's word on the typed ratings, said where the ratings now are, and tied to
      // each rating control below.
      var refused = wrapper.querySelector(".error");
      if (refused) {
        ratingsError = el("p", "error", refused.textContent);
        ratingsError.id = prefix + "-ratings-error";
        ratingsError.setAttribute("role", "alert");
        list.parentNode.insertBefore(ratingsError, list);
      }
    }

    function sync() {
      input.value = chosen.map(function (item) { return item.id; }).join(" ");
      if (ratings) {
        var any = chosen.some(function (item) { return item.stars; });
        ratings.value = any ? chosen.map(function (item) { return item.stars || LIKED; })
                                    .join(", ") : "";
      }
    }

    function render() {
      sync();
      list.textContent = "";
      chosen.forEach(function (item, index) {
        var li = el("li", "chip");
        li.appendChild(el("span", "chip-title", item.title ? label(item)
                                                          : "Movie " + item.id + " (not found)"));
        if (ratings) {
          var select = el("select", "chip-stars");
          select.setAttribute("aria-label", "Your rating of " + (item.title ? label(item)
                                                                          : "movie " + item.id));
          if (ratingsError) {
            select.setAttribute("aria-invalid", "true");
            select.setAttribute("aria-describedby", ratingsError.id);
          }
          var liked = el("option", "", "liked");
          liked.value = "";
          select.appendChild(liked);
          STARS.forEach(function (stars) {
            var option = el("option", "", stars + " ★");
            option.value = stars;
            select.appendChild(option);
          });
          select.value = item.stars || "";
          select.addEventListener("change", function () {
            item.stars = select.value;
            sync();
          });
          li.appendChild(select);
        }
        var remove = el("button", "chip-remove", "×");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + label(item));
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          render();
          search.focus();
        });
        li.appendChild(remove);
        list.appendChild(li);
      });
    }

    function close() {
      clearTimeout(timer);
      asked++;  // an answer still on its way is for a list that is closed
      found = [];
      foundFor = "";
      active = -1;
      options.textContent = "";
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
    }

    function activate(index) {
      var nodes = options.children;
      if (!nodes.length) return;
      active = (index + nodes.length) % nodes.length;
      for (var i = 0; i < nodes.length; i++) {
        nodes[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      search.setAttribute("aria-activedescendant", nodes[active].id);
      nodes[active].scrollIntoView({ block: "nearest" });
    }

    function pick(item) {
      if (!chosen.some(function (c) { return c.id === item.id; })) {
        chosen.push({ id: item.id, title: item.title, year: item.year, stars: "" });
      }
      search.value = "";
      close();
      status.textContent = label(item) + " chosen.";
      render();
      search.focus();
    }

    function show(items, query) {
      close();
      if (document.activeElement !== search) return;  // the person has moved on
      found = items;
      foundFor = query;
      items.forEach(function (item, index) {
        var option = el("li", "suggestion", label(item));
        option.id = prefix + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-id", item.id);
        // mousedown keeps the focus in the search box, as a listbox's pointer use should.
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { pick(item); });
        options.appendChild(option);
      });
      search.setAttribute("aria-expanded", items.length ? "true" : "false");
      status.textContent = items.length
        ? items.length + (items.length === 1 ? " title" : " titles") +
          " found: arrow keys to move, Enter to choose."
        : "No title matches.";
    }

    search.addEventListener("input", function () {
      var query = search.value.trim();
      close();
      if (query.length < 2) { status.textContent = ""; return; }
      var mine = asked;
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(query))
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) { if (mine === asked) show(items, query); })
          .catch(function () { if (mine === asked) status.textContent = "The search failed."; });
      }, 200);
    });
    search.addEventListener("keydown", function (event) {
      var open = found.length > 0;
      if (event.key === "ArrowDown" && open) {
        event.preventDefault();
        activate(active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        activate(active < 0 ? -1 : active - 1);
      } else if ((event.key === "Home" || event.key === "End") && open && active >= 0) {
        event.preventDefault();
        activate(event.key === "Home" ? 0 : found.length - 1);
      } else if (event.key === "Enter") {
        // Enter in the search box picks a title instead of submitting the form: one of the
        // titles found for what the box says now (while a search is on its way, none).
        event.preventDefault();
        if (open && foundFor === search.value.trim()) pick(found[active >= 0 ? active : 0]);
      } else if (event.key === "Escape") {
        // Closes the list, and drops a search still on its way (the list stays closed).
        if (open) event.preventDefault();
        close();
        status.textContent = "";
      }
    });
    // Leaving the box closes the list, unless the person came straight back to it.
    search.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== search) close(); }, 150);
    });

    // The movies already chosen (a form shown again), with their titles. Every id is kept,
    // in order, with the rating in its position; one the catalogue does not know stays as
    // its number. If the titles cannot be fetched, the hidden fields keep what they hold.
    var ids = input.value.split(/[\s,]+/).filter(Boolean);
    var given = ratings ? ratings.value.split(/[,;\s]+/).filter(Boolean) : [];
    if (ids.length) {
      fetch(url + "?ids=" + ids.join(","))
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (items) {
          var byId = {};
          items.forEach(function (item) { byId[String(item.id)] = item; });
          chosen = ids.map(function (id, position) {
            var item = byId[id] || { id: Number(id) };
            var stars = position < given.length ? String(Number(given[position])) : "";
            if (STARS.indexOf(stars) === -1) stars = "";
            return { id: item.id, title: item.title, year: item.year, stars: stars };
          });
          render();
        })
        .catch(function () {
          status.textContent = "The titles of the chosen movies could not be shown.";
        });
    }
    // After a refused submit the server focused a control this picker hides: focus its box.
    if (input.autofocus || (ratings && ratings.autofocus)) search.focus();
  }

  document.querySelectorAll("input.item-picker[data-search]").forEach(function (input) {
    if (input.getAttribute("data-search")) setUp(input);
  });
})();
