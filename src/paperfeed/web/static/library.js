// Save and rate without a page reload: the same forms, sent with fetch; without JS they post.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("js-toggle") || !window.fetch) return;
  event.preventDefault();
  var button = form.querySelector("button");
  // Busy, not disabled: a disabled button loses the keyboard focus.
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  send(form).then(answer).then(function (data) {
    if (!data.confirm) return data;
    // Unsaving would lose the reader's note or collections: ask, and send again if they agree.
    if (!window.confirm(data.confirm)) return null;
    var extra = new FormData(form);
    extra.set("confirm", "1");
    return send(form, extra).then(answer);
  }).then(function (data) {
    if (data === null) return;  // kept: nothing changed
    if (form.dataset.field === "saved") {
      var on = data.saved;
      form.querySelector("input[name=saved]").value = on ? "0" : "1";
      setState(button, on);
      button.textContent = on ? button.dataset.on : button.dataset.off;
    } else {
      // Rating forms come in pairs: update both buttons of this paper.
      form.parentNode.querySelectorAll("form[data-field=rating]").forEach(function (f) {
        var input = f.querySelector("input[name=rating]");
        var value = parseInt(input.dataset.value, 10);
        var on = data.rating === value;
        input.value = on ? "0" : String(value);
        setState(f.querySelector("button"), on);
      });
      lessLikeThis(form.closest("article.card"), data.rating === -1);
    }
  }).then(function () {
    reached(form);  // site.js
  }).catch(function (error) {
    notReached(form, error, "Not saved");  // site.js: else the plain form posts
  }).finally(function () {
    button.removeAttribute("aria-busy");
  });
});

// A card marked "less like this" folds away (its abstract and details), saying so; 👎 again
// takes it back.
function lessLikeThis(card, down) {
  if (!card) return;
  card.classList.toggle("rated-down", down);
  var note = card.querySelector(".rated-note");
  if (down && !note) {
    note = document.createElement("p");
    note.className = "rated-note";
    note.setAttribute("role", "status");
    note.textContent = "Less like this: For you will not suggest it again (👎 again takes it back).";
    card.querySelector(".personal").after(note);
  } else if (!down && note) {
    note.remove();
  }
}

function answer(response) {
  if (!response.ok) throw new Error("HTTP " + response.status);
  return response.json();
}

// site.js's fetchInTime: a request that never reached the site, or hung and was given up, is
// said by site.js's notReached.
function send(form, body) {
  return fetchInTime(form.action, {
    method: "POST",
    body: body || new FormData(form),
    headers: { "Accept": "application/json" },
    credentials: "same-origin"
  });
}

function setState(button, on) {
  button.classList.toggle("on", on);
  button.setAttribute("aria-pressed", on ? "true" : "false");
}

// The library's bulk bar: a "tick all" box, the count ticked, the collection box only for the
// actions that need one, and a question before removing papers. Without JS the form posts.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("bulk");
  // the moderation queue's form is also "bulk" (its own script): only the library's bar here
  if (!form || !form.querySelector("select[name=action]")) return;
  var boxes = document.querySelectorAll('input[type=checkbox][form="bulk"]');
  var action = form.querySelector("select[name=action]");
  var where = form.querySelector("input[name=collection]");
  var apply = form.querySelector("button[name=apply]");
  var exports = form.querySelectorAll("button[formaction]");
  var label = document.createElement("label");
  var all = document.createElement("input");
  all.type = "checkbox";
  label.appendChild(all);
  label.appendChild(document.createTextNode(" Tick all on this page"));
  form.insertBefore(label, action.closest("label"));
  var count = document.createElement("span");
  count.className = "muted";
  count.setAttribute("aria-live", "polite");
  form.appendChild(count);
  function ticked() {
    return Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
  }
  function update() {
    var n = ticked();
    count.textContent = n ? n + " ticked" : "";
    apply.disabled = n === 0;
    exports.forEach(function (b) { b.disabled = n === 0; });
    all.checked = n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
    var needs = action.value === "add" || action.value === "move";
    where.hidden = !needs;
    where.required = needs;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  action.addEventListener("change", update);
  form.addEventListener("submit", function (event) {
    var n = ticked();
    if (event.submitter && event.submitter.hasAttribute("formaction")) return;  // an export
    if (action.value !== "remove") return;
    if (!window.confirm("Remove " + n + " paper" + (n === 1 ? "" : "s") +
                        " from your library, with their notes?")) {
      event.preventDefault();
      return;
    }
    markAnswered(form);  // site.js: asked here, the server does not ask again
  });
  update();
});
