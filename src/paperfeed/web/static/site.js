// A form that undoes much (data-confirm="question", on the form or the button pressed) asks
// first and says it was answered (`confirmed`); without JS the server answers with a page that
// asks the same question. In a form with boxes named "ids", "{n}" in a question counts the
// ticked ones and "{s}" is "s" unless one is ticked ("1 ticked account", "2 ticked accounts");
// elsewhere they are only text (a collection's name in a question may hold them). A ticked
// box's data-named (what acting on it touches: a suspended owner's shared lists) is joined into
// the asker's data-confirm-named sentence, at "{named}", added when any box names something; a
// button with that sentence and no data-confirm asks it only then (a ticked claim with a rival).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  var button = event.submitter;
  var asks = button && (button.dataset.confirm || button.dataset.confirmNamed);
  var asker = asks ? button : form;
  var question = asker.dataset.confirm || "";
  if (!question && !asker.dataset.confirmNamed) return;
  var boxes = Array.prototype.filter.call(form.elements, function (e) {
    return e.name === "ids" && e.type === "checkbox";
  });
  var ticked = boxes.filter(function (e) { return e.checked; });
  var asked = boxes.length ? counted(question, ticked.length) : question;
  if (asked === null) {
    window.alert(form.dataset.none || "Tick the comments to act on first.");
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  var whole = asked + named(asker, ticked);
  if (!whole) return;  // only a ticked box's data-named asks, and none is ticked
  if (!window.confirm(whole)) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  markAnswered(form);
}, true);

// The question with its count in ("{n}", "{s}"); null when it counts and none is ticked.
function counted(question, n) {
  if (question.indexOf("{n}") >= 0 && n === 0) return null;
  return question.replace("{n}", String(n)).replace(/\{s\}/g, n === 1 ? "" : "s");
}

// The sentence naming what the ticked boxes touch, or "" (a function replaces: "$&" in a name
// stays as typed).
function named(asker, ticked) {
  var sentence = asker.dataset.confirmNamed;
  var names = ticked.map(function (e) { return e.dataset.named; }).filter(Boolean);
  if (!sentence || !names.length) return "";
  return sentence.replace("{named}", function () { return names.join("; "); });
}

// "Select all" (data-select-all="ids") ticks or clears the form's boxes of that name; clearing
// one of them clears "Select all" too, so that only the boxes still ticked are sent. It says
// what is ticked, as a screen reader reads it: ticked when all are, mixed when some are.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.form) return;
  var all = box.dataset.selectAll;
  var rows = Array.prototype.filter.call(box.form.elements, function (e) {
    return e.name === (all || box.name) && e.type === "checkbox";
  });
  if (all) rows.forEach(function (e) { e.checked = box.checked; });
  var ticked = rows.filter(function (e) { return e.checked; }).length;
  Array.prototype.forEach.call(box.form.elements, function (e) {
    if (all || !e.dataset || e.dataset.selectAll !== box.name) return;
    e.checked = ticked === rows.length;
    e.indeterminate = ticked > 0 && ticked < rows.length;
  });
  if (all) box.indeterminate = false;
});

// Tell the server the question was asked and answered here, so that it does not ask again.
function markAnswered(form) {
  var answer = form.querySelector("input[name=confirmed]");
  if (!answer) {
    answer = document.createElement("input");
    answer.type = "hidden";
    answer.name = "confirmed";
    form.appendChild(answer);
  }
  answer.value = "1";
}

// Render LaTeX in titles and abstracts with the bundled KaTeX; the page reads fine without it.
// KaTeX (about 80 KB compressed, and its fonts) is fetched only by a page with a formula in it.
var MATH_SIGN = /\$|\\\(|\\\[|\\begin\{/;
document.addEventListener("DOMContentLoaded", function () {
  var formulas = Array.prototype.some.call(document.querySelectorAll(".math"), function (el) {
    return MATH_SIGN.test(el.textContent);
  });
  if (!formulas) {
    document.documentElement.classList.add("math-ready");
    return;
  }
  loadKatex(document.body.getAttribute("data-katex") || "", typesetMath);
});

// KaTeX's stylesheet, then its script and auto-render, fetched side by side, run in order.
function loadKatex(base, then) {
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "katex.min.css";
  document.head.appendChild(css);
  ["katex.min.js", "contrib/auto-render.min.js"].forEach(function (name, i) {
    var script = document.createElement("script");
    script.src = base + name;
    script.async = false;  // in insertion order
    if (i === 1) script.onload = then;
    document.head.appendChild(script);
  });
}

function typesetMath() {
  if (typeof renderMathInElement !== "function") return;
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false },
      { left: "\\begin{equation}", right: "\\end{equation}", display: true },
      { left: "\\begin{equation*}", right: "\\end{equation*}", display: true },
      { left: "\\begin{align}", right: "\\end{align}", display: true },
      { left: "\\begin{align*}", right: "\\end{align*}", display: true },
      { left: "\\begin{gather}", right: "\\end{gather}", display: true },
      { left: "\\begin{gather*}", right: "\\end{gather*}", display: true }
    ],
    // A formula KaTeX cannot read, or an author's own macro in one (\R, \eps), stays as
    // written in the text's colour, not in alarm red; the formulas around it are still typeset.
    throwOnError: false,
    errorColor: "inherit",
    errorCallback: function () {},
    // A bare % in an abstract's formula is a percent sign ($\textbf{16.3%}$), not a comment
    // that would eat the rest of it: the feeds' plain text reads it so too.
    preProcess: function (tex) { return tex.replace(/(?<!\\)%/g, "\\%"); },
    trust: false,      // no \href, \url, \htmlClass ...: abstracts are untrusted text
    strict: "ignore",
    maxExpand: 200,
    maxSize: 10
  };
  // KaTeX throws more than parse errors (\texttt{\textbf{x}}: "Font metrics not found"), and
  // auto-render then gives up on the whole abstract: such a formula is one it cannot read.
  var render = katex.render;
  katex.render = function (tex, element, opts) {
    try { render(tex, element, opts); } catch (e) {
      throw e instanceof katex.ParseError ? e : new katex.ParseError(String(e && e.message));
    }
  };
  document.querySelectorAll(".math").forEach(function (el) {
    if (el.parentElement && el.parentElement.closest(".math")) return;  // typeset with its box
    try { renderMathInElement(el, options); } catch (e) { /* leave the source text */ }
  });
  document.documentElement.classList.add("math-ready");
  focusWideFormulas();
  window.addEventListener("resize", focusWideFormulas);
}

// An inline formula too long for a phone scrolls in its own box (site.css): the keyboard
// reaches it too, to scroll it with the arrow keys.
function focusWideFormulas() {
  document.querySelectorAll(".card .katex, .abstract .katex").forEach(function (k) {
    if (k.scrollWidth > k.clientWidth + 1) k.setAttribute("tabindex", "0");
    else k.removeAttribute("tabindex");
  });
}

// Upvote in place: no reload, no jump, no re-sorting under the reader. Without JavaScript the
// form posts and comes back to the same page.
function applyVote(form, data) {
  var button = form.querySelector("button");
  var n = data.upvotes;
  form.querySelector("input[name=up]").value = data.upvoted ? "0" : "1";
  button.classList.toggle("on", data.upvoted);
  button.setAttribute("aria-pressed", data.upvoted ? "true" : "false");
  button.title = data.upvoted ? "Undo upvote" : "Upvote";
  button.querySelector(".count").textContent = String(n);
  button.querySelector(".sr").textContent = " upvote" + (n === 1 ? "" : "s") +
    (data.upvoted ? ", upvoted by you (click to undo)" : "");
  // The paper page's "Upvoted by …" line, rendered (and escaped) by the server.
  document.querySelectorAll("[data-upvoters]").forEach(function (box) {
    if (box.getAttribute("data-upvoters") === data.id && typeof data.upvotersHtml === "string") {
      box.innerHTML = data.upvotersHtml;
    }
  });
}

// The site's own path of an address under the path the site is served at (<body data-root>,
// "/papers/" under https://example.org/papers/): "/papers/daily" is "/daily".
function sitePath(path) {
  var root = (document.body.getAttribute("data-root") || "/").replace(/\/$/, "");
  if (!root) return path;
  if (path === root) return "/";
  return path.indexOf(root + "/") === 0 ? path.slice(root.length) : path;
}

function askToSignIn(form, signin) {
  var card = form.closest("article.card");
  var holder = card ? card.querySelector(".card-body") : form.parentNode.parentNode;
  var note = holder.querySelector(".vote-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "vote-note";
    note.setAttribute("role", "alert");
    var link = document.createElement("a");
    link.textContent = "Sign in";
    var join = document.createElement("a");
    join.textContent = "create an account";
    note.append(link, " or ", join, " to upvote: your upvote is counted as soon as you are in.");
    if (card) holder.prepend(note);
    else form.parentNode.after(note);
  }
  var links = note.querySelectorAll("a");
  links[0].href = signin;
  links[1].href = signin.replace(/\/signin(?=[?#]|$)/, "/signup");
}

// How long a press waits for the site's answer: on a connection that hangs (a train in a
// tunnel, a captive hotel wifi) the request is given up then, and its button is usable again.
var ANSWER_WITHIN_MS = 20000;

// fetch, given up after ANSWER_WITHIN_MS without an answer. A request that never reached the
// site (offline, a dropped connection) or was given up fails `unreached` (`timedOut` if given up).
function fetchInTime(url, options) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, ANSWER_WITHIN_MS);
  return fetch(url, Object.assign({ signal: controller.signal }, options)).catch(function (error) {
    error.unreached = true;
    error.timedOut = controller.signal.aborted;
    throw error;
  }).finally(function () {
    clearTimeout(timer);
  });
}

// A form posted by fetch, asking for the JSON answer the server gives scripts.
function postForJson(form) {
  return fetchInTime(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin"
  });
}

// A press whose post never reached the site is said beside its form, and the page is kept:
// posting the plain form instead would only swap the page for the browser's offline error.
// `error` not unreached (the server's refusal): the plain form posts, its page says why.
function notReached(form, error, what, more) {
  if (!(error && error.unreached)) { form.submit(); return; }
  sayAgain(form, "unreached error-msg", what + (error.timedOut
    ? ": the site did not answer in time (a slow connection?). Press again to try once more."
    : ": this page can't reach the site. Try again when you are back online.") + (more || ""));
}

// A note said beside `holder` (role=alert) and tied to its button (aria-describedby): a fresh
// note each time, so that the same words said again, a second failure, are read out again (a
// screen reader says nothing when a note's words are only set to what they already were).
var notesSaid = 0;
function sayAgain(holder, className, words) {
  var old = holder.nextElementSibling;
  var note = document.createElement("span");
  note.className = className;
  note.setAttribute("role", "alert");
  note.id = old && old.className === className ? old.id : "said-" + (++notesSaid);
  note.textContent = words;
  if (old && old.className === className) old.replaceWith(note);
  else holder.after(note);
  var button = holder.querySelector("button[type=submit], button:not([type])") || holder;
  describeBy(button, note.id, true);
}

// Adds (`on`) or takes away a note's id in the element's aria-describedby.
function describeBy(element, id, on) {
  var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (each) {
    return each && each !== id;
  });
  if (on) ids.push(id);
  if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
  else element.removeAttribute("aria-describedby");
}

// Once a press is answered, its earlier "can't reach the site" note goes.
function reached(form) {
  var note = form.nextElementSibling;
  if (!note || !note.classList.contains("unreached")) return;
  form.querySelectorAll("[aria-describedby]").forEach(function (each) { describeBy(each, note.id, false); });
  note.remove();
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote") || !window.fetch) return;
  event.preventDefault();
  var button = form.querySelector("button");
  // Busy, not disabled: a disabled button loses the keyboard focus (Enter again would do
  // nothing, and a screen reader loses its place).
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  postForJson(form).then(function (response) {
    return response.json().then(function (data) { return { status: response.status, data: data }; });
  }).then(function (answer) {
    reached(form);
    if (answer.status === 401 && answer.data.signin) askToSignIn(form, answer.data.signin);
    else if (answer.status === 200) applyVote(form, answer.data);
    else form.submit();  // let the server's page say what went wrong
  }).catch(function (error) {
    notReached(form, error, "Not counted");
  }).finally(function () {
    button.removeAttribute("aria-busy");
  });
});

// A form answered in place: posted for JSON, `apply` shows the answer; a refusal or a signed-out
// reader gets the plain post, whose page says what to do. Busy, not disabled: keeps the focus.
function postInPlace(className, apply) {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains(className) || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    postForJson(form).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (data) {
      reached(form);
      apply(form, button, data);
    }).catch(function (error) {
      notReached(form, error, "Not done");
    }).finally(function () {
      button.removeAttribute("aria-busy");
    });
  });
}

// A comment's upvote in place too; without JavaScript the form posts and comes back to it.
postInPlace("comment-vote", function (form, button, data) {
  form.querySelector("input[name=up]").value = data.upvoted ? "0" : "1";
  button.classList.toggle("on", data.upvoted);
  button.setAttribute("aria-pressed", data.upvoted ? "true" : "false");
  button.querySelector(".count").textContent = String(data.votes);
});

// A comment's reaction in place: the server answers with the comment's new reaction bar, and
// the focus stays on the emoji pressed. Without JavaScript the form posts and comes back to it.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("react") || !window.fetch) return;
  event.preventDefault();
  var button = form.querySelector("button");
  if (button.getAttribute("aria-busy") === "true") return;  // busy, not disabled: keeps the focus
  button.setAttribute("aria-busy", "true");
  var bar = form.closest(".reactions");
  var picked = form.closest(".react-box") !== null;
  var selector = 'button[data-emoji="' + button.getAttribute("data-emoji") + '"]';
  postForJson(form).then(function (response) {
    reached(form);
    if (response.status === 429) {  // too many too fast: said beside the button, the focus kept
      return response.json().then(function (data) { reactionRefused(form, data.detail); });
    }
    if (!response.ok) throw new Error(String(response.status));
    return response.json().then(function (data) { return showReactions(bar, data, picked, selector); });
  }).catch(function (error) {
    notReached(form, error, "Not counted");  // signed out, or refused: the server's page says
  }).finally(function () {
    button.removeAttribute("aria-busy");
  });
});

// A refused reaction is said beside the emoji pressed and read as that button's description,
// as an offline press is (one such note in a bar: an earlier one beside another emoji goes); the
// next bar the server sends takes the note away.
function reactionRefused(form, detail) {
  var bar = form.closest(".reactions");
  bar.querySelectorAll(".react-note").forEach(function (note) {
    if (note.previousElementSibling === form) return;
    bar.querySelectorAll("[aria-describedby]").forEach(function (each) { describeBy(each, note.id, false); });
    note.remove();
  });
  sayAgain(form, "react-note error-msg", "Not counted: " + detail + ".");
}

function showReactions(bar, data, picked, selector) {
  var holder = document.createElement("div");
  holder.innerHTML = data.html;
  var fresh = holder.querySelector(".reactions");
  bar.replaceWith(fresh);
  var box = fresh.querySelector(".react-box");
  if (picked && box) box.open = true;
  var again = fresh.querySelector((picked ? ".react-box " : ":scope > form ") + selector);
  (again || (box && box.querySelector("summary")) || fresh).focus();
}

// Submitting fetches from arXiv, which can take a while: say so while waiting, keep the button
// from being pressed twice, and show the server's answer in place. Without JavaScript the form
// posts as usual.
function submitProgress(form, sending) {
  var button = form.querySelector("button[type=submit]");
  // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page's top.
  if (sending) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
  button.textContent = sending ? "Fetching…" : "Submit";
  form.querySelector(".progress").textContent =
    sending ? "Fetching the paper from arXiv… this can take a few seconds." : "";
}

function showSubmitError(form, message) {
  var box = document.querySelector("main .error-msg");
  if (!box) {
    box = document.createElement("p");
    box.className = "error-msg";
    box.setAttribute("role", "alert");
    form.before(box);
  }
  if (typeof message === "string") box.textContent = message;
  else box.replaceChildren.apply(box, Array.from(document.importNode(message, true).childNodes));
}

function showPage(page) {
  var main = page.querySelector("main");
  if (!main) { window.location.reload(); return; }
  document.querySelector("main").replaceWith(document.adoptNode(main));
  document.title = page.title;
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("submit-paper") || !window.fetch) return;
  event.preventDefault();
  if (form.querySelector("button[type=submit]").getAttribute("aria-disabled") === "true") return;
  submitProgress(form, true);
  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
    .then(function (response) {
      if (response.redirected) { window.location.assign(response.url); return; }
      return response.text().then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var error = page.querySelector("main .error-msg, main .error p");
        submitProgress(form, false);
        if (error) showSubmitError(form, error);  // its link too (a paper already here)
        else showPage(page);  // any other answer is shown as it is; never posted twice
      });
    })
    .catch(function () {
      submitProgress(form, false);
      showSubmitError(form, "This page can't reach the site right now. Check your connection and try again.");
    });
});

// A comment, reply, edit or report on a slow or flaky connection: the button says it is sending
// and a second press waits for the first (the site also takes the same comment sent again as the
// one posted, and a reader's report of a comment is kept once); sent while offline, it is kept in
// its box and the reader told, where the plain post would swap the page, and the words, for the
// browser's offline error.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("comment-form") ||
      !form.querySelector("textarea[name=body], input[name=reason]") || event.defaultPrevented) return;
  var button = form.querySelector("button[type=submit]");
  if (navigator.onLine === false) {
    event.preventDefault();
    notReached(form, { unreached: true }, "Not sent", " Your words are kept here.");
    return;
  }
  if (button.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
  reached(form);
  button.dataset.label = button.textContent;
  button.setAttribute("aria-busy", "true");  // busy, not disabled: keeps the focus
  button.textContent = "Sending…";
});

// A form that can take long (a library's import) says it is under way, and is not sent twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.busy || event.defaultPrevented) return;
  var button = form.querySelector("button[type=submit]");
  if (!button) return;
  if (button.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
  button.dataset.label = button.textContent;
  button.setAttribute("aria-busy", "true");  // busy, not disabled: keeps the focus
  button.textContent = form.dataset.busy;
});

// A page come back from the browser's history (Back from an error page) is pressable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll(".comment-form button[data-label], form[data-busy] button[data-label]").forEach(function (button) {
    button.textContent = button.dataset.label;
    button.removeAttribute("aria-busy");
    button.removeAttribute("data-label");
  });
});

// Links to a comment (#c12) or to the Cite box land below the sticky header: the stylesheet pads
// scrolling by --header-height, kept here to the header's height (it wraps on narrow screens).
// Once typeset math and images have moved things, the linked target is scrolled to again.
(function () {
  // A link to a comment (#c12, from a feed or an email) on a later page of a long discussion:
  // the page that holds it is asked for.
  var wanted = /^#c(\d+)$/.exec(location.hash);
  if (wanted && !document.getElementById("c" + wanted[1]) && document.getElementById("discussion")) {
    var url = new URL(location.href);
    if (!url.searchParams.has("comment")) {
      url.searchParams.set("comment", wanted[1]);
      location.replace(url.href);
      return;
    }
  }
  var header = document.querySelector("header.top");
  if (!header) return;
  var root = document.documentElement;
  function fit() { root.style.setProperty("--header-height", header.offsetHeight + "px"); }
  fit();
  if (window.ResizeObserver) new ResizeObserver(fit).observe(header);
  else window.addEventListener("resize", fit);
  window.addEventListener("load", function () {
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }  // a bad %-escape
    var target = id && document.getElementById(id);
    if (target) target.scrollIntoView();
  });
})();

// Copy buttons (the Cite box, the private feed URL, a comment's link): hidden without JavaScript,
// where the text can still be selected. The clipboard API needs a secure context (https, or this
// machine); on a plain-http address the text is selected and copied the older way. A link's
// address is copied, whole, as the browser resolves it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.textContent;
    // A focused button's new text is not read out: a status line says what happened.
    var said = document.createElement("span");
    said.className = "sr";
    said.setAttribute("role", "status");
    button.after(said);
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source instanceof HTMLInputElement ? source.value
        : source instanceof HTMLAnchorElement ? source.href : source.textContent;
      var done = function (ok) {
        button.textContent = ok ? "Copied" : "Select and copy";
        said.textContent = ok ? "Copied." : "Not copied: the text is selected, copy it with your keys.";
        setTimeout(function () { button.textContent = label; said.textContent = ""; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
        return;
      }
      var shown = source;
      if (source instanceof HTMLAnchorElement) {  // the address, not the link's words, selected
        if (button.nextElementSibling instanceof HTMLInputElement) button.nextElementSibling.remove();
        shown = document.createElement("input");
        shown.value = text;
        shown.readOnly = true;
        shown.setAttribute("aria-label", "Link address");
        button.after(shown);
      }
      var range = document.createRange();
      range.selectNodeContents(shown);
      var selection = window.getSelection();
      selection.removeAllRanges();
      if (typeof shown.select === "function") shown.select(); else selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok && shown !== source) shown.remove();
      done(ok);
    });
  });
});

// A saved paper's reading state is kept as soon as it is changed (a note still waits for its
// button); without JavaScript it is sent with the note form's button.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!(select instanceof HTMLSelectElement) || select.name !== "state") return;
  var form = select.closest("form.note-form");
  if (!form) return;
  var body = new FormData();
  body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
  body.append("state", select.value);
  var said = form.querySelector(".state-saved");
  if (!said) {
    said = document.createElement("span");
    said.className = "state-saved muted";
    said.setAttribute("role", "status");
    said.id = "said-" + (++notesSaid);
    select.insertAdjacentElement("afterend", said);
    describeBy(select, said.id, true);
  }
  said.textContent = "";  // emptied while sending: the same words said again are read out again
  fetchInTime(form.action, {
    method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin"
  }).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    var label = select.value === "read" ? "read" : "to read";
    said.textContent = " Saved: " + label;
    var item = form.closest(".library-item");
    var meta = item && item.querySelector("p.meta");
    if (meta) meta.textContent = select.value === "read" ? "Read" : "To read";
    var heading = document.querySelector(".my-note h2 .muted");
    if (!item && heading) heading.textContent = "(private) · " + label;
  }).catch(function () {
    said.textContent = " Not saved: use the Save note button";
  });
});

// The main navigation marks the section this page belongs to (for screen readers too).
document.addEventListener("DOMContentLoaded", function () {
  var path = sitePath(window.location.pathname);
  if (path === "/" && document.querySelector(".cards.foryou")) path = "/for-you";  // home, For you
  document.querySelectorAll("nav[aria-label=Main] a").forEach(function (link) {
    var href = sitePath(link.getAttribute("href"));
    var daily = href === "/daily" && (path === "/" || path.indexOf("/papers/date") === 0);
    if (path === href || path.indexOf(href + "/") === 0 || daily) {
      link.setAttribute("aria-current", "page");
    }
  });
});

// A plain form's page came back saying what it did (`data-said`) or what went wrong (an alert):
// written again once the page has loaded, so screen readers read it out as they do a status
// line that changes (one there from the start is not read).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-said], main [role=alert]").forEach(function (line) {
    var said = Array.from(line.childNodes);  // its links and paragraphs too, not only its text
    line.replaceChildren();
    setTimeout(function () { line.replaceChildren.apply(line, said); }, 100);
  });
});

// Times written in UTC (<time class="local-time">: comments, notices) read in the reader's own
// time zone, its name beside them ("2026-12-05 19:50 GMT+9"); the UTC time stays as the title.
// A screen reader is given the words ("5 December 2026 at 19:50 Japan Standard Time"), not
// the digits, dashes and "GMT plus 9". A day only (<time class="local-time local-day">: joined,
// rated) is the reader's own day of that moment ("2026-12-05", read "5 December 2026").
document.addEventListener("DOMContentLoaded", function () {
  if (!window.Intl || !Intl.DateTimeFormat) return;
  var format = new Intl.DateTimeFormat("en-US", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZoneName: "short"
  });
  var spoken = new Intl.DateTimeFormat("en-GB", {
    year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZoneName: "long"
  });
  var spokenDay = new Intl.DateTimeFormat("en-GB", {year: "numeric", month: "long", day: "numeric"});
  document.querySelectorAll("time.local-time[datetime]").forEach(function (time) {
    var at = new Date(time.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    var part = {};
    format.formatToParts(at).forEach(function (p) { part[p.type] = p.value; });
    var day = part.year + "-" + part.month + "-" + part.day;
    if (time.classList.contains("local-day")) {  // its title names the UTC moment already
      time.textContent = day;
      time.setAttribute("aria-label", spokenDay.format(at));
      return;
    }
    time.title = time.textContent;
    time.textContent = day + " " + part.hour + ":" + part.minute + " " + part.timeZoneName;
    time.setAttribute("aria-label", spoken.format(at));
  });
});

// Following a shared collection in place: the button says whether the reader follows it and the
// page's count of followers follows. Without JavaScript the form posts and comes back to it.
postInPlace("follow-list", function (form, button, data) {
  form.querySelector("input[name=follow]").value = data.following ? "0" : "1";
  button.setAttribute("aria-pressed", data.following ? "true" : "false");
  button.textContent = data.following ? "Following" : "Follow";
  var count = document.querySelector(".followers");
  var followers = data.followers + (data.followers === 1 ? " follower" : " followers");
  if (count) count.textContent = followers;
  // The button's new words are not read out while it has the focus: a status line says them.
  var said = form.querySelector("[data-follow-said]");
  if (said) said.textContent = (data.following ? "You follow this collection" : "You no longer follow this collection") + ": " + followers + ".";
});
