// Keyboard shortcuts for reading a list of papers, as Gmail's and GitHub's: j and k go to the
// next and previous paper (its title takes the focus, so Enter opens it and a screen reader
// reads it), o opens it, s saves it, u upvotes it, + and - say more or less like this, / goes
// to the search box and ? lists them. The buttons they press are the page's own (the same
// forms, sent in place). Single keys can be turned off (WCAG 2.1.4), on the About page or in
// the list ?, and stay off in this browser. Never while the reader types, or with Ctrl, Alt or ⌘.
(function () {
  "use strict";
  var STORE = "paperfeed-keys";
  var ITEMS = "article.card, article.library-item, .topic-papers li";
  var TITLE = "h3 a, :scope > a";  // a card's title; a topic's row is its link
  var KEYS = [
    ["j", "Next paper"],
    ["k", "Previous paper"],
    ["o", "Open the paper (Enter too)"],
    ["s", "Save or unsave it (signed in)"],
    ["u", "Upvote it, or undo"],
    ["+", "More like this (signed in)"],
    ["-", "Less like this (signed in)"],
    ["/", "Search"],
    ["?", "This list"]
  ];
  var BUTTONS = {
    s: ".save-btn",
    u: "form.vote button",
    "+": "form[data-field=rating] input[data-value='1'] ~ button",
    "=": "form[data-field=rating] input[data-value='1'] ~ button",
    "-": "form[data-field=rating] input[data-value='-1'] ~ button"
  };

  function isOn() {
    try {
      return window.localStorage.getItem(STORE) !== "off";
    } catch (e) {
      return true;
    }
  }

  function setOn(on) {
    try {
      if (on) window.localStorage.removeItem(STORE);
      else window.localStorage.setItem(STORE, "off");
    } catch (e) {
      // storage refused (a private window): on for this page only
    }
    document.querySelectorAll("input.keys-on").forEach(function (box) {
      box.checked = on;
    });
  }

  // Where a key is text (a box, a text area, a list): not a checkbox, radio or button, which
  // once turned every shortcut off while focused (the shortcuts list opens on its own box, so
  // "?" again did not close it).
  var NOT_TEXT = /^(checkbox|radio|button|submit|reset|file|color|range|image)$/;

  function typing(target) {
    if (!(target instanceof HTMLElement)) return false;
    if (target instanceof HTMLInputElement) return !NOT_TEXT.test(target.type);
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(ITEMS)).filter(function (item) {
      // not one folded away behind "more" (a closed <details> still gives its rows boxes)
      if (item.closest("details:not([open])")) return false;
      return item.getClientRects().length > 0;
    });
  }

  // The paper the keys act on: the one holding the focus, else the one last gone to, else a
  // paper page's own paper.
  var last = null;
  function current() {
    var active = document.activeElement;
    var found = active instanceof Element ? active.closest(ITEMS) : null;
    if (found) return found;
    if (last && document.contains(last)) return last;
    return document.querySelector("article.paper");
  }

  function go(step) {
    var all = items();
    if (!all.length) return false;
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : at + step;
    next = Math.max(0, Math.min(all.length - 1, next));
    all.forEach(function (item) {
      item.classList.remove("key-selected");
    });
    last = all[next];
    last.classList.add("key-selected");
    var title = last.querySelector(TITLE);
    if (title) title.focus({ preventScroll: true });
    last.scrollIntoView({ block: "nearest" });
    return true;
  }

  function press(key) {
    var paper = current();
    var button = paper && paper.querySelector(BUTTONS[key]);
    if (!button) return false;
    button.click();
    return true;
  }

  function open() {
    var paper = current();
    var title = paper && paper.querySelector(TITLE);
    if (!title) return false;
    title.click();
    return true;
  }

  function search() {
    var box = document.querySelector("main form[role=search] input[name=q]") ||
      document.querySelector("input[name=q]");
    if (!box) return false;
    box.focus();
    box.select();
    return true;
  }

  function switchFor(id) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.className = "keys-on";
    box.id = id;
    box.checked = isOn();
    label.append(box, " Use these single-key shortcuts");
    return label;
  }

  var dialog = null;
  function help() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "keys-help";
      dialog.setAttribute("aria-labelledby", "keys-help-title");
      var heading = document.createElement("h2");
      heading.id = "keys-help-title";
      heading.textContent = "Keyboard shortcuts";
      var list = document.createElement("dl");
      KEYS.forEach(function (pair) {
        var key = document.createElement("dt");
        var kbd = document.createElement("kbd");
        kbd.textContent = pair[0];
        key.append(kbd);
        var what = document.createElement("dd");
        what.textContent = pair[1];
        list.append(key, what);
      });
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", function () {
        dialog.close();
      });
      dialog.append(heading, list, switchFor("keys-on-dialog"), close);
      document.body.append(dialog);
    }
    if (dialog.open) dialog.close();
    else dialog.showModal();
    return true;
  }

  function act(key) {
    if (key === "?") return help();
    if (key === "j") return go(1);
    if (key === "k") return go(-1);
    if (key === "o") return open();
    if (key === "/") return search();
    if (BUTTONS[key]) return press(key);
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || !isOn()) return;
    if (dialog && dialog.open && event.key !== "?") return;
    if (act(event.key)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.classList.contains("keys-on")) setOn(box.checked);
  });

  // The About page's switch (the list is there without JavaScript; the switch needs it).
  document.addEventListener("DOMContentLoaded", function () {
    var place = document.getElementById("keys-switch");
    if (place) place.append(switchFor("keys-on-about"));
  });
})();
