// Shows the slug the server proposes (the region and title in pinyin) while staff fill in an add form, in the slug
// box, where they may change it. A slug they typed themselves is never replaced. Without this script the server makes
// the same proposal when the form is saved with the box empty.
"use strict";
// Loaded in the page's head, before the form exists.
document.addEventListener("DOMContentLoaded", function () {
  const box = document.getElementById("id_slug");
  if (!box || !box.form || !window.django || !django.jQuery) {
    return;
  }
  const form = box.form;
  const address = new URL("../propose-slug/", window.location.href);
  let proposed = "";

  function ownSlug() {
    return box.value !== "" && box.value !== proposed;
  }

  function propose(event) {
    if (event.target === box || ownSlug()) {
      return;
    }
    const fields = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      // The main form's fields only: inlines' names carry their prefix and a dash.
      if (typeof value === "string" && !name.includes("-") && name !== "csrfmiddlewaretoken" && name !== "slug") {
        fields.append(name, value);
      }
    }
    address.search = fields.toString();
    fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => {
        if (answer && answer.slug && !ownSlug()) {
          box.value = proposed = answer.slug;
        }
      })
      .catch(() => {});
  }

  // jQuery's handler also hears the change events the region autocompletes (select2) trigger through jQuery.
  django.jQuery(form).on("change", propose);
});
