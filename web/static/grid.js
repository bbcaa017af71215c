// Keyboard help for the lesson form (the page works without it): in the marks table,
// ArrowUp / ArrowDown move to the same column in the previous / next pupil's row, and Enter
// on a field moves down instead of sending the form before the row is finished.
(function () {
  "use strict";
  var table = document.querySelector("table.grid[data-keyboard]");
  if (!table) { return; }
  function cellOf(el) { return el.closest("td"); }
  function move(el, step) {
    var td = cellOf(el), tr = td && td.parentElement;
    if (!tr) { return false; }
    var index = Array.prototype.indexOf.call(tr.children, td);
    var row = step > 0 ? tr.nextElementSibling : tr.previousElementSibling;
    while (row) {
      var target = row.children[index] && row.children[index].querySelector("select, input");
      if (target) { target.focus(); return true; }
      row = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    }
    return false;
  }
  table.addEventListener("keydown", function (event) {
    var el = event.target;
    if (!el.matches("select, input")) { return; }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "ArrowDown" || (event.key === "Enter" && el.tagName === "SELECT")) {
      if (move(el, 1)) { event.preventDefault(); }
    } else if (event.key === "ArrowUp") {
      if (move(el, -1)) { event.preventDefault(); }
    }
  });
})();
