// Keyboard use of lists: j/k or arrows move, Enter opens, "/" jumps to the first filter.
(function () {
  "use strict";
  function rows(table) { return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]")); }
  function select(list, i) {
    list.forEach(function (r) { r.classList.remove("current"); });
    if (list[i]) { list[i].classList.add("current"); list[i].focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("[data-keyboard-list]");
    if (!table) { return; }
    var list = rows(table);
    var at = -1;
    table.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-href]");
      if (tr && ev.target.tagName !== "A") { window.location = tr.dataset.href; }
    });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select") { return; }
      if (ev.key === "j" || ev.key === "ArrowDown") { at = Math.min(list.length - 1, at + 1); select(list, at); ev.preventDefault(); }
      else if (ev.key === "k" || ev.key === "ArrowUp") { at = Math.max(0, at - 1); select(list, at); ev.preventDefault(); }
      else if (ev.key === "Enter" && list[at]) { window.location = list[at].dataset.href; }
      else if (ev.key === "/") { var f = document.querySelector(".filters select, .filters input"); if (f) { f.focus(); ev.preventDefault(); } }
    });
    list.forEach(function (r, i) { r.addEventListener("focus", function () { at = i; }); });
  });
})();
