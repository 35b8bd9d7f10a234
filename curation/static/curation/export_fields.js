// The export page's "Select all" box: ticks or clears every column of the chosen resource, and follows the
// columns' own boxes. A listener in a file of this site, where django-import-export puts an inline onchange
// handler that the Content-Security-Policy (script-src 'self') refuses to run.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("input.select-toggle");
  if (!toggle) {
    return;
  }
  const columns = () => [...toggle.form.querySelectorAll('.selectable-field-export-row input[type="checkbox"]')];

  toggle.addEventListener("change", () => {
    for (const box of columns()) {
      box.checked = toggle.checked;
    }
  });
  toggle.form.addEventListener("change", (event) => {
    if (event.target !== toggle && columns().includes(event.target)) {
      toggle.checked = columns().every((box) => box.checked);
    }
  });
});
