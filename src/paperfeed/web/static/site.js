// Render LaTeX in titles and abstracts with the bundled KaTeX; the page reads fine without it.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof renderMathInElement !== "function") return;
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false }
    ],
    throwOnError: false,
    trust: false,      // no \href, \url, \htmlClass ...: abstracts are untrusted text
    strict: "ignore",
    maxExpand: 200,
    maxSize: 10
  };
  document.querySelectorAll(".math").forEach(function (el) {
    try { renderMathInElement(el, options); } catch (e) { /* leave the source text */ }
  });
  document.documentElement.classList.add("math-ready");
});
