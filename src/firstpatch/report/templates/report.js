"use strict";
// Sorting and filtering of the findings table. Reads cells' data-sort values and text only;
// writes classes and text only, never HTML, so nothing in a cell can become markup.
(function () {
  const table = document.getElementById("findings");
  if (!table) {
    return;
  }
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const text = document.getElementById("filter-text");
  const severity = document.getElementById("filter-severity");
  const proof = document.getElementById("filter-proof");
  const kev = document.getElementById("filter-kev");
  const shown = document.getElementById("shown");

  function filter() {
    const words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const row of rows) {
      const haystack = row.textContent.toLowerCase();
      const visible =
        words.every((word) => haystack.includes(word)) &&
        (!severity.value || row.dataset.severity === severity.value) &&
        (!proof.value || row.dataset.proof === proof.value) &&
        (!kev.checked || row.dataset.kev === "yes");
      row.classList.toggle("hidden", !visible);
      count += visible ? 1 : 0;
    }
    shown.textContent = count + " of " + rows.length + " shown";
  }

  function sortBy(button) {
    const column = Number(button.dataset.column);
    const numeric = button.dataset.type === "number";
    const order = button.dataset.order === "asc" ? "desc" : "asc";
    for (const other of table.querySelectorAll("th button")) {
      delete other.dataset.order;
    }
    button.dataset.order = order;
    const sign = order === "asc" ? 1 : -1;
    const key = (row) => row.cells[column].dataset.sort;
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const cmp = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return sign * cmp || Number(a.cells[0].dataset.sort) - Number(b.cells[0].dataset.sort);
    });
    for (const row of rows) {
      body.appendChild(row);
    }
  }

  for (const button of table.querySelectorAll("th button")) {
    button.addEventListener("click", () => sortBy(button));
  }
  for (const control of [text, severity, proof, kev]) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  }
  filter();
})();
