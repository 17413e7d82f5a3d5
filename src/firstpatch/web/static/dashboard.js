// Filters the rows of a findings table by what is typed; the page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("findings");
  const filters = document.querySelector(".filters");
  if (!table || !filters) return;
  const box = document.createElement("input");
  box.type = "search";
  box.id = "filter-text";
  box.placeholder = "filter: rule, title, path…";
  box.setAttribute("aria-label", "Filter findings");
  filters.appendChild(box);
  const rows = Array.from(table.tBodies[0].rows);
  box.addEventListener("input", () => {
    const wanted = box.value.trim().toLowerCase();
    for (const row of rows) {
      row.classList.toggle("hidden", wanted !== "" && !row.textContent.toLowerCase().includes(wanted));
    }
  });
});
