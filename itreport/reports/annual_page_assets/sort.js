// Sortable tables for the annual results page. Without this script the tables read in rank order; with it
// every column header of a table.sortable becomes a button that sorts by that column (again: the other way).
// Numbers sort by the cell's data-value, text by Vietnamese collation; aria-sort tells assistive technology.
(function () {
  "use strict";
  var collator = new Intl.Collator("vi", { sensitivity: "base", numeric: true });

  function cellKey(row, index, kind) {
    var cell = row.cells[index];
    if (kind === "number") {
      var raw = cell.getAttribute("data-value");
      return raw === null || raw === "" ? null : Number(raw);
    }
    return cell.textContent.trim();
  }

  function compare(a, b, kind) {
    if (a === null && b === null) return 0;
    if (a === null) return 1; // empty cells last, whatever the direction
    if (b === null) return -1;
    return kind === "number" ? a - b : collator.compare(a, b);
  }

  function sortTable(table, header, index) {
    var kind = header.getAttribute("data-sort");
    var direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: cellKey(row, index, kind), position: position };
    });
    rows.sort(function (x, y) {
      var order = compare(x.key, y.key, kind);
      if (x.key !== null && y.key !== null && direction === "descending") order = -order;
      return order || x.position - y.position;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction);
    var status = table.querySelector(".sort-status");
    if (status) {
      status.textContent = ", sắp xếp theo " + header.textContent.trim() +
        (direction === "ascending" ? " tăng dần" : " giảm dần");
    }
  }

  function enhance(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      if (!header.hasAttribute("data-sort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, header, index); });
    });
    table.classList.add("enhanced");
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enhance);
  });
})();
