// Save and rate without a page reload: the same forms, sent with fetch; without JS they post.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("js-toggle") || !window.fetch) return;
  event.preventDefault();
  var button = form.querySelector("button");
  button.disabled = true;
  fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "Accept": "application/json" },
    credentials: "same-origin"
  }).then(function (response) {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }).then(function (data) {
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
    }
  }).catch(function () {
    form.submit();  // fall back to the plain form
  }).finally(function () {
    button.disabled = false;
  });
});

function setState(button, on) {
  button.classList.toggle("on", on);
  button.setAttribute("aria-pressed", on ? "true" : "false");
}
